// Vigil's syslog TCP listener alone, into a sink that counts (no decoding, detection or
// storage): the receive + framing part of the ingestion path, for comparison with rsyslog and
// syslog-ng receiving into a file. Runs until COUNT messages arrived, then prints the rate from
// the first to the last message.
//
//   vigil_ingest_receive COUNT [threads]     prints "listening on PORT" first
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "ingest/listener.h"

namespace {

class CountingSink : public vigil::ingest::Sink {
public:
    explicit CountingSink(uint64_t want) : want_(want) {}
    bool Offer(std::vector<vigil::ingest::RawMessage>& batch) override {
        const auto now = std::chrono::steady_clock::now();
        uint64_t before = count_.fetch_add(batch.size());
        if (before == 0) first_ = now;
        if (before + batch.size() >= want_) {
            last_ = now;
            std::lock_guard lock(mu_);
            cv_.notify_all();
        }
        batch.clear();
        return true;
    }
    double Wait() {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return count_ >= want_; });
        return std::chrono::duration<double>(last_ - first_).count();
    }

private:
    uint64_t want_;
    std::atomic<uint64_t> count_{0};
    std::chrono::steady_clock::time_point first_, last_;
    std::mutex mu_;
    std::condition_variable cv_;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: vigil_ingest_receive COUNT [threads]\n");
        return 2;
    }
    const uint64_t count = std::strtoull(argv[1], nullptr, 10);
    vigil::ingest::ListenerOptions o;
    o.source = "bench";
    o.threads = argc > 2 ? std::atoi(argv[2]) : 1;
    CountingSink sink(count);
    vigil::ingest::SourceCounters counters;
    vigil::ingest::SyslogListener listener(o, sink, counters);
    if (auto st = listener.Start(); !st) {
        std::fprintf(stderr, "%s\n", st.error().message.c_str());
        return 1;
    }
    std::printf("listening on %u\n", static_cast<unsigned>(listener.port()));
    std::fflush(stdout);
    const double secs = sink.Wait();
    std::printf("vigil received %llu messages (%llu bytes) in %.2f s: %.0f messages/s\n",
                static_cast<unsigned long long>(count),
                static_cast<unsigned long long>(counters.bytes.load()), secs,
                static_cast<double>(count) / secs);
    listener.Stop();
    return 0;
}
