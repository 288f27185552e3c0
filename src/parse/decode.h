#pragma once
// Log line decoders: one line of text (syslog, CEF, LEEF, key=value, web access logs, auth
// messages, auditd records, netfilter kernel lines) or one JSON document (plain, Suricata EVE,
// Windows as Winlogbeat/NXLog write it) -> Event fields named as the SigmaHQ rules read them,
// with the Sigma logsource set. docs/decoders.md lists every decoder, its fields and limits.
//
//   LineDecoder d;                                   // one per thread
//   auto st = d.Decode(line, Format::kAuto, ev);     // detects, decodes, sets ev.logsource
//
// Auditd writes one event as several records sharing msg=audit(TIME:SERIAL); AuditdAssembler
// groups them. LineDecoder::Decode alone turns each record into its own event.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/limits.h"
#include "base/result.h"
#include "base/time_zone.h"
#include "event/event.h"

namespace vigil::parse {

enum class Format : uint8_t {
    kAuto,      // detect per line (Detect below)
    kText,      // no decoding: the line is the event's message
    kSyslog,    // RFC 5424 or RFC 3164 (PRI optional, as in /var/log files), MSG decoded further
    kRfc3164,   // BSD syslog only
    kRfc5424,   // RFC 5424 only
    kJson,      // a JSON object, flattened
    kCef,       // ArcSight Common Event Format
    kLeef,      // IBM QRadar LEEF 1.0 / 2.0
    kKv,        // key=value pairs
    kAccess,    // Apache / nginx combined or common access log
    kAuth,      // an OpenSSH, sudo or PAM message (usually the MSG of a syslog line)
    kAuditd,    // one Linux audit record (type=... msg=audit(...): ...)
    kIptables,  // a netfilter (iptables / nftables) kernel log line
    kSuricata,  // Suricata EVE JSON
    kWinJson,   // a Windows event as Winlogbeat or NXLog JSON
};

std::string_view FormatName(Format f);
// "auto", "syslog", "rfc3164", ...; nullopt for an unknown name.
std::optional<Format> FormatByName(std::string_view name);
// Every name FormatByName accepts, for help texts.
const std::vector<std::string_view>& FormatNames();

// Picks a decoder for a line from cheap prefix tests (docs/decoders.md gives the order).
// Returns kText when nothing fits.
Format Detect(std::string_view line);

struct DecodeOptions {
    size_t max_line_bytes = limits::kMaxLineBytes;
    size_t max_fields = limits::kMaxEventFields;  // extra fields are counted, not stored
    // "Now" in ns since the epoch for RFC 3164 timestamps, which have no year: the year is
    // the one that puts the timestamp closest to now. 0 reads the system clock.
    int64_t now_ns = 0;
    // How a time without a zone is read (RFC 3164's, a JSON "timestamp" without an offset, CEF
    // rt text): UTC unless told (a source's `timezone:` in vigil serve, `vigil hunt --timezone`).
    TimeZone zone;
};

struct DecodeStats {
    uint64_t lines = 0;           // lines given to Decode
    uint64_t malformed = 0;       // lines that failed
    uint64_t fields_dropped = 0;  // fields over max_fields, summed over all events
};

class JsonDecoder;
namespace internal {
class EvtxXmlConverter;
}

class LineDecoder {
public:
    explicit LineDecoder(DecodeOptions options = {});
    ~LineDecoder();
    LineDecoder(const LineDecoder&) = delete;
    LineDecoder& operator=(const LineDecoder&) = delete;

    // Clears out and decodes one line. On error the reason names the decoder and the byte
    // offset ("cef: at byte 14: expected 7 header fields"); out may hold partial fields.
    // Text decoders keep the line as out.message (keyword rules search it). received_ns, when
    // not 0, is when the line arrived: an RFC 3164 timestamp takes the year closest to it
    // (a line replayed from the spool later keeps its year), instead of options().now_ns.
    Status Decode(std::string_view line, Format format, event::Event& out, int64_t received_ns = 0);

    // The decoder the last Decode used (kAuto resolved).
    Format last_format() const { return last_; }
    const DecodeStats& stats() const { return stats_; }
    const DecodeOptions& options() const { return options_; }
    // The zone for the lines decoded from now on (one decoder serves many sources).
    void set_zone(const TimeZone& zone) { options_.zone = zone; }
    // Decodes JSON for the JSON-based formats.
    JsonDecoder& json();
    // Converts an event's XML (Sysmon for Linux in a syslog MSG), made on first use.
    internal::EvtxXmlConverter& xml();
    // Counts fields dropped by AuditdAssembler, which fills events outside Decode.
    void AddDropped(uint64_t n) { stats_.fields_dropped += n; }

private:
    DecodeOptions options_;
    DecodeStats stats_;
    Format last_ = Format::kText;
    std::unique_ptr<JsonDecoder> json_;
    std::unique_ptr<internal::EvtxXmlConverter> xml_;
};

// Groups auditd records into events. An event is complete when its EOE record arrives, when
// a record of another event arrives and it is a single-record (user-space) event, when it
// holds max_records records, when it is max_age_ns older than the newest record, or when
// more than max_open events are open (the oldest goes). Flush() completes the rest.
class AuditdAssembler {
public:
    struct Limits {
        size_t max_records = 64;
        size_t max_open = 8;
        int64_t max_age_ns = 2'000'000'000;
    };
    explicit AuditdAssembler(LineDecoder& decoder) : AuditdAssembler(decoder, Limits{}) {}
    AuditdAssembler(LineDecoder& decoder, Limits limits);
    ~AuditdAssembler();

    // Adds one record; completed events are appended to out. A line that is not an audit
    // record is an error and changes nothing. An emitted event's `sequence` is the position
    // given with its first record (e.g. its line number).
    Status Add(std::string_view line, std::vector<event::Event>& out, uint64_t position = 0);
    void Flush(std::vector<event::Event>& out);
    size_t open() const { return open_.size(); }

private:
    struct Group;
    void Emit(size_t i, std::vector<event::Event>& out);

    LineDecoder& decoder_;
    Limits limits_;
    std::deque<std::unique_ptr<Group>> open_;
    event::Event record_;
};

}  // namespace vigil::parse
