#pragma once
// The buffer between the producers (listeners, tailer, HTTP intake) and the pipeline: a
// bounded queue in memory, and the disk spool behind it. Messages go to memory while the spool
// is empty and memory has room; otherwise to the spool (so order is kept: once anything is
// spooled, everything after it is spooled until the pipeline has caught up). When the spool is
// full too, Offer refuses and the producer applies back-pressure (TCP pauses, HTTP answers 503,
// the tailer waits).
//
// OfferDurable is for producers that acknowledge (HTTP intake): the batch goes to the spool and
// is on disk when it returns Ok.
//
// One consumer: Take() a batch, store it, then Done() — only then is a spooled batch committed,
// so a crash replays it (with its ids) and never loses it. What a crash can lose is what waits
// in memory (or was taken from it and is not Done yet); the Buffer keeps the ranges of such
// messages, which gives producers a durability watermark (Sink::offered / durable): the tailer
// saves a file offset only once the lines before it are stored or spooled, not when they are
// merely queued in memory.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "base/result.h"
#include "ingest/message.h"
#include "ingest/spool.h"

namespace vigil::ingest {

struct BufferOptions {
    // The memory queue holds at most this many messages and this many bytes (MessageBytes):
    // a message can be a 64 KiB frame or a 256 KiB audit event, so a count alone bounds
    // nothing.
    size_t max_memory_messages = 200000;
    size_t max_memory_bytes = size_t{64} << 20;
    SpoolOptions spool;
};

struct BufferStats {
    uint64_t memory_messages = 0;
    uint64_t spooled_records = 0;  // waiting in the spool
    uint64_t spooled_bytes = 0;
    uint64_t spooled_total = 0;  // messages that ever went to the spool
};

struct TakenBatch {
    std::vector<RawMessage> messages;
    std::optional<SpoolCursor> spool_cursor;  // set when they came from the spool
};

class Buffer : public Sink {
public:
    static Result<std::unique_ptr<Buffer>> Open(BufferOptions options);

    bool Offer(std::vector<RawMessage>& batch) override;
    // To the spool, durable on Ok; resource_exhausted when the spool is full.
    Status OfferDurable(std::vector<RawMessage>& batch);

    // Up to max messages and about max_bytes (MessageBytes; at least one message), waiting up
    // to `wait` for some; empty on timeout or after Close().
    // reuse: the messages of a stored batch, whose buffers take what is read from the spool.
    Result<TakenBatch> Take(size_t max, std::chrono::milliseconds wait,
                            std::vector<RawMessage> reuse = {}, size_t max_bytes = SIZE_MAX);
    // The batch is stored: commits its spool position (a memory batch advances durable()).
    Status Done(const TakenBatch& batch);
    uint64_t offered() const override { return offered_.load(std::memory_order_acquire); }
    uint64_t durable() const override;
    // Wakes a waiting Take(); later Takes return what is left without waiting.
    void Close();
    BufferStats stats() const;

private:
    explicit Buffer(BufferOptions options, std::unique_ptr<DiskSpool> spool);
    // Gives each message without an id one before it is spooled, so a replay after a crash
    // (stored, not yet committed) is recognised as the same message: a UUIDv7 of its receive
    // time with this Buffer's random nonce and a counter (time-ordered, so the store's id
    // index grows at its end).
    void AssignIds(std::vector<RawMessage>& batch);

    BufferOptions options_;
    std::unique_ptr<DiskSpool> spool_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::deque<RawMessage> memory_;
    size_t memory_bytes_ = 0;  // MessageBytes of memory_
    bool closed_ = false;
    uint64_t spooled_total_ = 0;
    uint32_t id_nonce_ = 0;  // random, per Buffer
    std::atomic<uint64_t> next_id_{0};
    // Messages are numbered in the order they are offered (offered_ counts them). Each batch
    // that went to memory: {its last number, how many of it are not Done yet}, oldest first
    // (under mu_). Spooled messages are durable once appended.
    std::atomic<uint64_t> offered_{0};
    std::deque<std::pair<uint64_t, uint64_t>> memory_pending_;
};

}  // namespace vigil::ingest
