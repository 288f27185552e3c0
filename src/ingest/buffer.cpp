#include "ingest/buffer.h"

#include <algorithm>
#include <random>
#include <utility>

#include "base/strings.h"

namespace vigil::ingest {

Result<std::unique_ptr<Buffer>> Buffer::Open(BufferOptions options) {
    auto spool = DiskSpool::Open(options.spool);
    if (!spool) return tl::unexpected(std::move(spool.error()));
    return std::unique_ptr<Buffer>(new Buffer(std::move(options), std::move(*spool)));
}

Buffer::Buffer(BufferOptions options, std::unique_ptr<DiskSpool> spool)
    : options_(std::move(options)), spool_(std::move(spool)) {
    id_nonce_ = std::random_device{}();
}

void Buffer::AssignIds(std::vector<RawMessage>& batch) {
    for (auto& m : batch) {
        if (!m.id.empty()) continue;
        const uint64_t n = next_id_++;
        const auto ms = static_cast<uint64_t>(m.received_ns > 0 ? m.received_ns / 1000000 : 0);
        // 48-bit ms | version 7, 12 bits of the counter | variant 10, 30 bits of the nonce, 32
        // bits of the counter; written out as a UUID.
        uint8_t b[16];
        for (int i = 0; i < 6; ++i) b[i] = static_cast<uint8_t>(ms >> (8 * (5 - i)));
        b[6] = static_cast<uint8_t>(0x70 | ((n >> 40) & 0x0f));
        b[7] = static_cast<uint8_t>(n >> 32);
        b[8] = static_cast<uint8_t>(0x80 | ((id_nonce_ >> 24) & 0x3f));
        b[9] = static_cast<uint8_t>(id_nonce_ >> 16);
        b[10] = static_cast<uint8_t>(id_nonce_ >> 8);
        b[11] = static_cast<uint8_t>(id_nonce_);
        for (int i = 0; i < 4; ++i) b[12 + i] = static_cast<uint8_t>(n >> (8 * (3 - i)));
        m.id = UuidText(b);
    }
}

bool Buffer::Offer(std::vector<RawMessage>& batch) {
    if (batch.empty()) return true;
    size_t bytes = 0;
    for (const auto& m : batch) bytes += MessageBytes(m);
    {
        std::lock_guard lock(mu_);
        if (spool_->empty() && memory_.size() + batch.size() <= options_.max_memory_messages &&
            memory_bytes_ + bytes <= options_.max_memory_bytes) {
            memory_pending_.emplace_back(offered_ += batch.size(), batch.size());
            memory_bytes_ += bytes;
            for (auto& m : batch) memory_.push_back(std::move(m));
            batch.clear();
            cv_.notify_one();
            return true;
        }
    }
    // Behind: to the spool (without waiting for the disk: these producers do not acknowledge).
    AssignIds(batch);
    // Full: refused, not counted here. A stream offers the batch again when there is room; what
    // a producer drops it counts as its source's `refused`.
    if (auto st = spool_->Append(batch, /*sync=*/false); !st) return false;
    offered_ += batch.size();
    std::lock_guard lock(mu_);
    spooled_total_ += batch.size();
    batch.clear();
    cv_.notify_one();
    return true;
}

Status Buffer::OfferDurable(std::vector<RawMessage>& batch) {
    if (batch.empty()) return Ok();
    AssignIds(batch);
    if (auto st = spool_->Append(batch); !st) return st;
    offered_ += batch.size();
    std::lock_guard lock(mu_);
    spooled_total_ += batch.size();
    batch.clear();
    cv_.notify_one();
    return Ok();
}

Result<TakenBatch> Buffer::Take(size_t max, std::chrono::milliseconds wait,
                                std::vector<RawMessage> reuse, size_t max_bytes) {
    TakenBatch out;
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, wait, [&] { return closed_ || !memory_.empty() || !spool_->empty(); });
    // Memory first: it holds only what arrived while the spool was empty, so it is older
    // than anything spooled since.
    if (!memory_.empty()) {
        const size_t n = std::min(max, memory_.size());
        out.messages.reserve(n);
        size_t taken_bytes = 0;
        for (size_t i = 0; i < n; ++i) {
            const size_t b = MessageBytes(memory_.front());
            if (i > 0 && taken_bytes + b > max_bytes) break;
            taken_bytes += b;
            memory_bytes_ -= b;
            out.messages.push_back(std::move(memory_.front()));
            memory_.pop_front();
        }
        return out;
    }
    lock.unlock();
    if (spool_->empty()) return out;
    SpoolCursor next;
    auto read = spool_->Read(max, next, std::move(reuse), max_bytes);
    if (!read) return tl::unexpected(std::move(read.error()));
    out.messages = std::move(*read);
    out.spool_cursor = next;
    return out;
}

Status Buffer::Done(const TakenBatch& batch) {
    if (batch.spool_cursor) return spool_->Commit(*batch.spool_cursor);
    // A memory batch: its messages are the oldest still pending.
    std::lock_guard lock(mu_);
    uint64_t n = batch.messages.size();
    while (n > 0 && !memory_pending_.empty()) {
        auto& [last, pending] = memory_pending_.front();
        const uint64_t k = std::min(n, pending);
        pending -= k;
        n -= k;
        if (pending == 0) memory_pending_.pop_front();
    }
    return Ok();
}

uint64_t Buffer::durable() const {
    std::lock_guard lock(mu_);
    if (memory_pending_.empty()) return offered_.load();
    const auto& [last, pending] = memory_pending_.front();
    return last - pending;  // every message before the first pending one
}

void Buffer::Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    cv_.notify_all();
}

BufferStats Buffer::stats() const {
    const SpoolStats spool = spool_->stats();
    std::lock_guard lock(mu_);
    BufferStats out;
    out.memory_messages = memory_.size();
    out.spooled_records = spool.records;
    out.spooled_bytes = spool.bytes;
    out.spooled_total = spooled_total_;
    return out;
}

}  // namespace vigil::ingest
