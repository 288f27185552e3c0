#pragma once
// Syslog listeners (Boost.Asio): UDP (one datagram = one message), TCP and TLS (RFC 5425; TLS
// 1.3 only unless allow_tls12) with RFC 6587 framing. Messages go to the Sink in batches; when
// the sink refuses a batch a stream connection stops reading and retries, so TCP flow control
// pushes back on the sender and nothing read is lost, while UDP (which cannot push back) counts
// the datagrams it had to drop. Asio and OpenSSL stay inside listener.cpp.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/result.h"
#include "ingest/framing.h"
#include "ingest/message.h"

namespace vigil::ingest {

struct ListenerOptions {
    std::string source;  // name carried in RawMessage::source and shown in status
    enum class Kind { kUdp, kTcp, kTls } kind = Kind::kTcp;
    std::string bind = "127.0.0.1";
    uint16_t port = 0;                        // 0: ephemeral (see SyslogListener::port())
    std::string cert_pem_path, key_pem_path;  // kTls
    bool allow_tls12 = false;
    size_t max_frame_bytes = kDefaultMaxFrameBytes;
    size_t max_connections = 1024;
    // Connections open at once from one address: one host (or one attacker) cannot take the
    // listener's every connection. Over either limit a connection is closed at once and counted
    // in connections_refused.
    size_t max_connections_per_peer = 128;
    // A connection that completes no message for this long is closed: bytes that end no
    // message (a sender trickling one byte a minute) do not keep it open.
    std::chrono::milliseconds idle_timeout{std::chrono::minutes(10)};
    std::chrono::milliseconds handshake_timeout{std::chrono::seconds(10)};
    // How long a paused stream waits before offering its batch again.
    std::chrono::milliseconds retry_interval{20};
    size_t max_batch = 512;  // messages per Offer()
    // Consecutive audit records of one event from one connection (UDP: one sender) become one
    // message (ingest/audit_join.h); an event still open after audit_wait goes on as it is.
    bool join_audit = false;
    std::chrono::milliseconds audit_wait{200};
    int threads = 1;
};

class SyslogListener {
public:
    SyslogListener(ListenerOptions options, Sink& sink, SourceCounters& counters);
    ~SyslogListener();  // Stop()
    SyslogListener(const SyslogListener&) = delete;
    SyslogListener& operator=(const SyslogListener&) = delete;

    // Binds and starts the threads; errors name the address and the reason.
    Status Start();
    uint16_t port() const;
    // Stops accepting and reading; pending batches are offered once more, then dropped
    // connections close. Joins the threads.
    void Stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::ingest
