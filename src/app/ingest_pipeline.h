#pragma once
// The ingestion pipeline of `vigil serve`: sources (syslog UDP/TCP/TLS listeners, tailed
// files, the HTTP intake) -> ingest::Buffer (memory, then the disk spool) -> workers (decode
// with the source's decoder, field-mapping pipelines, every Sigma rule) -> the event store,
// with each detection stored with its event's id. Nothing is dropped silently: a full buffer
// pushes back on the source, a line that fails to decode is stored as text with the reason and
// counted (with samples) per source, and a spooled batch is committed only once stored.
//
// A source configured with an expected rate raises a "silent source" detection when it has
// been quiet for its silent_minutes.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/config.h"
#include "base/result.h"
#include "ingest/message.h"

namespace vigil::store {
class EventStore;
}

namespace vigil::app {

struct IngestPipelineOptions {
    std::filesystem::path data_dir;
    IngestConfig config;
    std::string tls_cert, tls_key;  // for syslog-tls
    bool allow_tls12 = false;
    std::function<int64_t()> clock;
    // Messages per batch (one store transaction per day partition). 8,192 stores ~10 % faster
    // than 2,048 under full load (bench/syslog_bench.sh) for ~100 MB more peak memory.
    size_t batch = 8192;
    // And at most about this many bytes of messages (ingest::MessageBytes): a batch of long
    // messages (64 KiB frames, 256 KiB audit events) is cut shorter, so the few batches in
    // flight bound memory by bytes too. 8,192 syslog lines are ~1.5 MiB.
    size_t batch_bytes = size_t{8} << 20;
};

class IngestPipeline {
public:
    IngestPipeline(IngestPipelineOptions options, store::EventStore& store);
    ~IngestPipeline();  // Stop()
    IngestPipeline(const IngestPipeline&) = delete;
    IngestPipeline& operator=(const IngestPipeline&) = delete;

    // Loads the rules (diagnostics summarised), opens the buffer and spool (DIR/spool), starts
    // the workers, then the listeners and tailers. Errors name the source or rule path.
    Status Start();
    // Stops the sources, lets the workers store what is in memory, stops the workers.
    void Stop();

    // The HTTP intake: the events of `body` become messages of source "http", each with its
    // text as sent; returns the ids assigned once the batch is on disk. A kJson body holds JSON
    // values (each element of a top-level array, and each other top-level value, is an event);
    // a kLines body (NDJSON, text) has an event per line that is not blank.
    // resource_exhausted when the spool is full (the route answers 503), invalid_argument for
    // a body with no events, too many, or JSON whose values cannot be told apart (with the byte).
    enum class IntakeBody { kJson, kLines };
    Result<std::vector<std::string>> Intake(std::string_view body, IntakeBody kind,
                                            std::string_view peer);

    // Counters per source and stage, as JSON (the status endpoint) and as Prometheus text.
    // The status as JSON. Malformed samples are log text: without `samples` (a caller who may
    // not read events) they are left out and "samples_withheld" is true.
    std::string StatusJson(bool samples = true) const;
    std::string PrometheusText() const;
    // Waits until everything received so far is stored (tests); false on timeout.
    bool WaitIdle(std::chrono::milliseconds timeout);
    // The bound port of a listener source (0 for others or before Start).
    uint16_t port(const std::string& source) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::unique_ptr<ingest::Sink> sink_;  // counts what the buffer accepts
};

}  // namespace vigil::app
