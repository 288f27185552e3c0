#include "store/event_store.h"

#include <array>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <random>

#include "base/strings.h"

namespace vigil::store {

EventId EventId::New(int64_t now_ns) {
    // UUIDv7 with the 12-bit rand_a field used as a counter within one millisecond (RFC 9562
    // method 1), so ids from one process are strictly increasing; the rest is random.
    static std::mutex mu;
    static uint64_t last_ms = 0;
    static uint32_t counter = 0;
    // splitmix64 per thread: ids need uniqueness, not secrecy, and this is on the append path.
    thread_local uint64_t state =
        (static_cast<uint64_t>(std::random_device{}()) << 32) ^ std::random_device{}();
    uint64_t ms = now_ns > 0 ? static_cast<uint64_t>(now_ns) / 1000000 : 0;
    {
        std::lock_guard lock(mu);
        if (ms <= last_ms) {
            ms = last_ms;
            if (++counter > 0xfff) {
                ++ms;
                counter = 0;
            }
        } else {
            counter = 0;
        }
        last_ms = ms;
    }
    const uint32_t seq = counter;
    EventId id;
    for (int i = 0; i < 6; ++i) id.bytes[i] = static_cast<uint8_t>(ms >> (8 * (5 - i)));
    id.bytes[6] = static_cast<uint8_t>(0x70 | ((seq >> 8) & 0x0f));
    id.bytes[7] = static_cast<uint8_t>(seq & 0xff);
    uint64_t r = (state += 0x9e3779b97f4a7c15ULL);
    r = (r ^ (r >> 30)) * 0xbf58476d1ce4e5b9ULL;
    r = (r ^ (r >> 27)) * 0x94d049bb133111ebULL;
    r ^= r >> 31;
    for (int i = 0; i < 8; ++i) id.bytes[8 + i] = static_cast<uint8_t>(r >> (8 * i));
    id.bytes[8] = static_cast<uint8_t>(0x80 | (id.bytes[8] & 0x3f));
    return id;
}

std::optional<int64_t> EventId::UuidV7TimeNs() const {
    constexpr int64_t kYear10000Ms = 253402300800000;
    if ((bytes[6] >> 4) != 7 || (bytes[8] & 0xc0) != 0x80) return std::nullopt;
    int64_t ms = 0;
    for (int i = 0; i < 6; ++i) ms = (ms << 8) | bytes[i];
    if (ms >= kYear10000Ms) return std::nullopt;
    return ms * 1000000;
}

std::optional<EventId> EventId::Parse(std::string_view text) {
    EventId id;
    // The canonical form (every spooled message carries one) without a branch per digit;
    // anything else below.
    if (text.size() == 36 && text[8] == '-' && text[13] == '-' && text[18] == '-' &&
        text[23] == '-') {
        static constexpr std::array<uint8_t, 16> kAt = {0,  2,  4,  6,  9,  11, 14, 16,
                                                        19, 21, 24, 26, 28, 30, 32, 34};
        int bad = 0;
        for (size_t i = 0; i < kAt.size(); ++i) {
            const int hi = HexDigit(text[kAt[i]]);
            const int lo = HexDigit(text[kAt[i] + 1u]);
            bad |= hi | lo;  // negative if either is not a hex digit
            id.bytes[i] = static_cast<uint8_t>(((hi & 0xf) << 4) | (lo & 0xf));
        }
        if (bad < 0) return std::nullopt;
        return id;
    }
    size_t n = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '-') {
            if (i != 8 && i != 13 && i != 18 && i != 23) return std::nullopt;
            continue;
        }
        const int d = HexDigit(text[i]);
        if (d < 0 || n >= 32) return std::nullopt;
        id.bytes[n / 2] = static_cast<uint8_t>(id.bytes[n / 2] | (n % 2 == 0 ? d << 4 : d));
        ++n;
    }
    if (n != 32) return std::nullopt;
    return id;
}

std::string EventId::ToString() const { return UuidText(bytes); }

bool EventId::IsZero() const {
    for (uint8_t b : bytes) {
        if (b != 0) return false;
    }
    return true;
}

int64_t UtcDayStart(int64_t ns) {
    int64_t day = ns / kNsPerDay;
    if (ns % kNsPerDay < 0) --day;
    return day * kNsPerDay;
}

std::string UtcDay(int64_t ns) {
    using namespace std::chrono;
    const year_month_day ymd{sys_days{days{UtcDayStart(ns) / kNsPerDay}}};
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buf;
}

Result<WhereTerm> ParseWhere(std::string_view text) {
    const size_t eq = text.find('=');
    if (eq == std::string_view::npos) {
        return InvalidArgument("'" + std::string(text) + "': expected field=value");
    }
    if (eq == 0) return InvalidArgument("'" + std::string(text) + "': empty field name");
    return WhereTerm{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
}

// ---- EventStore: argument checks, then the backend ---------------------------------------

Status CheckTimeRange(int64_t since_ns, int64_t until_ns) {
    if (until_ns <= since_ns) {
        return InvalidArgument("the time range is empty (until must be after since)");
    }
    if (int64_t span = 0; __builtin_sub_overflow(until_ns, since_ns, &span)) {
        return InvalidArgument("the time range is longer than 292 years");
    }
    return Ok();
}

namespace {

Status CheckFilter(const SearchQuery& q) {
    if (auto st = CheckTimeRange(q.since_ns, q.until_ns); !st) return st;
    if (q.where.size() > kMaxWhereTerms) {
        return InvalidArgument("at most " + std::to_string(kMaxWhereTerms) +
                               " field=value terms per search");
    }
    for (const WhereTerm& t : q.where) {
        if (t.field.empty()) return InvalidArgument("a field=value term has an empty field name");
    }
    if (q.text.size() > kMaxSearchTextBytes) {
        return InvalidArgument("the search text is longer than " +
                               std::to_string(kMaxSearchTextBytes) + " bytes");
    }
    return Ok();
}

}  // namespace

Result<AppendResult> EventStore::Append(std::span<StoredEvent> events, int64_t now_ns) {
    if (events.empty()) return AppendResult{};
    return DoAppend(events, now_ns);
}

Result<SearchPage> EventStore::Search(const SearchQuery& query, const ProgressFn& progress) {
    if (auto st = CheckFilter(query); !st) return tl::unexpected(st.error());
    if (query.limit == 0 || query.limit > kMaxSearchLimit) {
        return InvalidArgument("the limit must be between 1 and " +
                               std::to_string(kMaxSearchLimit));
    }
    return DoSearch(query, progress);
}

Result<TimeHistogram> EventStore::Histogram(const HistogramQuery& query,
                                            const ProgressFn& progress) {
    if (auto st = CheckFilter(query.filter); !st) return tl::unexpected(st.error());
    if (query.bucket_ns <= 0) return InvalidArgument("the bucket width must be positive");
    const int64_t span = query.filter.until_ns - query.filter.since_ns;
    if (span / query.bucket_ns >= static_cast<int64_t>(kMaxHistogramBuckets)) {
        return InvalidArgument("more than " + std::to_string(kMaxHistogramBuckets) +
                               " buckets: choose a wider bucket");
    }
    return DoHistogram(query, progress);
}

Result<std::vector<SearchHit>> EventStore::GetEvents(const EventLookup& lookup) {
    if (lookup.ids.empty() || lookup.ids.size() > kMaxLookupIds) {
        return InvalidArgument("ask for 1 to " + std::to_string(kMaxLookupIds) + " event ids");
    }
    return DoGetEvents(lookup);
}

Result<size_t> EventStore::DropPartitionsBefore(int64_t day_start_ns, int64_t now_ns) {
    return DoDropPartitionsBefore(day_start_ns, now_ns);
}

Result<size_t> EventStore::ApplyRetention(int days, int64_t now_ns) {
    if (days < 1) return InvalidArgument("retention must be at least 1 day");
    return DoDropPartitionsBefore(now_ns - static_cast<int64_t>(days) * kNsPerDay, now_ns);
}

Result<size_t> EventStore::AppendDetections(std::span<Detection> detections, int64_t now_ns) {
    if (detections.empty()) return size_t{0};
    for (const Detection& d : detections) {
        if (d.rule_id.empty()) return InvalidArgument("a detection needs a rule id");
    }
    return DoAppendDetections(detections, now_ns);
}

Result<size_t> EventStore::ApplyDetectionRetention(int days, int64_t now_ns) {
    if (days < 1) return InvalidArgument("retention must be at least 1 day");
    return DoDeleteDetectionsBefore(now_ns - static_cast<int64_t>(days) * kNsPerDay);
}

Result<DetectionPage> EventStore::ListDetections(const DetectionQuery& query) {
    if (query.limit == 0 || query.limit > kMaxSearchLimit) {
        return InvalidArgument("the limit must be between 1 and " +
                               std::to_string(kMaxSearchLimit));
    }
    return DoListDetections(query);
}

Result<StoreStats> EventStore::Stats() { return DoStats(); }

}  // namespace vigil::store
