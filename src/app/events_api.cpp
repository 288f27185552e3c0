#include "app/events_api.h"

#include <utility>

#include "app/ingest_pipeline.h"
#include "app/json_util.h"
#include "base/strings.h"
#include "store/event_store.h"

namespace vigil::app {

namespace {

using api::Request;
using api::Response;
using Caller = AuthApi::Caller;
using nlohmann::json;

constexpr int64_t kNsPerHour = int64_t{3600} * 1000000000;
// Named limit: histogram buckets per request.
constexpr int64_t kMaxBuckets = 1000;

// since/until (RFC 3339; default the last 24 hours), q, and every f.<field>=<value>.
Result<store::SearchQuery> ParseSearch(const Request& r, int64_t now_ns) {
    store::SearchQuery q;
    q.until_ns = now_ns + 1;
    q.since_ns = now_ns - 24 * kNsPerHour;
    for (const char* key : {"since", "until"}) {
        const std::string v = QueryParam(r, key);
        if (v.empty()) continue;
        auto ns = ParseTimestamp(v);
        if (!ns) {
            return InvalidArgument(std::string(key) +
                                   " must be an RFC 3339 time such as 2026-11-21T08:00:00Z");
        }
        (std::string_view(key) == "since" ? q.since_ns : q.until_ns) = *ns;
    }
    if (q.since_ns >= q.until_ns) return InvalidArgument("since must be before until");
    if (auto st = store::CheckTimeRange(q.since_ns, q.until_ns); !st) {
        return tl::unexpected(std::move(st.error()));
    }
    q.text = QueryParam(r, "q");
    for (const auto& [key, value] : r.query) {
        if (key.rfind("f.", 0) != 0) continue;
        if (key.size() == 2) return InvalidArgument("a field filter needs a name: f.<field>=");
        q.where.push_back({key.substr(2), value});
    }
    auto limit = PageLimit(r);
    if (!limit) return tl::unexpected(std::move(limit.error()));
    q.limit = *limit;
    q.cursor = QueryParam(r, "cursor");
    return q;
}

json EventJson(const store::SearchHit& hit) {
    const store::StoredEvent& e = hit.event;
    std::string fields;
    e.event.AppendJson(fields);
    json categories = e.event.logsource.categories;
    // `time` is what the search went by (the event's own time when plausible, else its
    // receipt), as the CLI's: a sender's claimed time is `event_time`, never the order.
    return json{{"id", hit.id.ToString()},
                {"time", FormatTimestamp(hit.time_ns)},
                {"event_time", e.event.time_ns ? json(FormatTimestamp(e.event.time_ns)) : json()},
                {"received", FormatTimestamp(e.receive_ns)},
                {"source", e.source},
                {"host", e.host},
                {"logsource",
                 {{"product", e.event.logsource.product},
                  {"service", e.event.logsource.service},
                  {"categories", categories}}},
                {"fields", json::parse(fields, nullptr, false)},
                {"message", e.event.message}};
}

Response StoreFailure(const Error& e) {
    if (e.code == Code::kInvalidArgument) return Response::Error(400, e.message);
    return Response::Error(500, "cannot read the event store");
}

}  // namespace

Status AddEventRoutes(api::Router& router, AuthApi& auth, IngestPipeline& pipeline,
                      store::EventStore& store) {
    using F = AuthApi::Flags;
    auto intake = [&pipeline](const Request& r, const Caller&) {
        const bool json_body =
            EqualsIgnoreCase(api::MediaType(r.Header("Content-Type")), "application/json");
        auto ids = pipeline.Intake(
            r.body,
            json_body ? IngestPipeline::IntakeBody::kJson : IngestPipeline::IntakeBody::kLines,
            r.remote_ip);
        if (!ids) {
            if (ids.error().code == Code::kResourceExhausted) {
                Response resp = Response::Error(503, "the ingestion spool is full; retry later");
                resp.headers.emplace_back("Retry-After", "5");
                return resp;
            }
            if (ids.error().code == Code::kInvalidArgument) {
                return Response::Error(400, ids.error().message);
            }
            return Response::Error(500, "cannot accept the events");
        }
        return JsonReply(202, json{{"accepted", ids->size()}, {"ids", *ids}});
    };
    auto search = [&auth, &store](const Request& r, const Caller&) {
        auto q = ParseSearch(r, auth.Now());
        if (!q) return Response::Error(400, q.error().message);
        auto page = store.Search(*q);
        if (!page) return StoreFailure(page.error());
        json items = json::array();
        for (const auto& hit : page->hits) items.push_back(EventJson(hit));
        json out{
            {"items", std::move(items)},
            {"next_cursor", page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor)},
            {"scanned", page->scanned},
            {"partitions", page->partitions}};
        return JsonReply(200, out);
    };
    auto get_event = [&store](const Request& r, const Caller&) {
        const auto it = r.path_params.find("id");
        const std::string text = it == r.path_params.end() ? "" : it->second;
        auto id = store::EventId::Parse(text);
        if (!id) {
            return Response::Error(
                400, "an event id is a UUID such as 019ab1c2-3d4e-7f60-8a1b-2c3d4e5f6071");
        }
        store::EventLookup lookup;
        lookup.ids = {*id};
        if (const std::string v = QueryParam(r, "time"); !v.empty()) {
            auto ns = ParseTimestamp(v);
            if (!ns) return Response::Error(400, "time must be an RFC 3339 time");
            lookup.time_hint_ns = *ns;
        }
        auto hits = store.GetEvents(lookup);
        if (!hits) return StoreFailure(hits.error());
        if (hits->empty()) {
            return Response::Error(404, "no stored event has the id " + id->ToString() +
                                            " (never stored, or past the retention period)");
        }
        return JsonReply(200, EventJson(hits->front()));
    };
    auto histogram = [&auth, &store](const Request& r, const Caller&) {
        auto q = ParseSearch(r, auth.Now());
        if (!q) return Response::Error(400, q.error().message);
        int64_t buckets = 48;
        if (const std::string b = QueryParam(r, "buckets"); !b.empty()) {
            auto n = ParseInt(b);
            if (!n || *n < 1 || *n > kMaxBuckets) {
                return Response::Error(
                    400, "buckets must be an integer from 1 to " + std::to_string(kMaxBuckets));
            }
            buckets = *n;
        }
        store::HistogramQuery h;
        h.filter = *q;
        h.bucket_ns = std::max<int64_t>(1, (q->until_ns - q->since_ns + buckets - 1) / buckets);
        auto result = store.Histogram(h);
        if (!result) return StoreFailure(result.error());
        return JsonReply(200, json{{"since", FormatTimestamp(result->since_ns)},
                                   {"bucket_seconds", result->bucket_ns / 1000000000.0},
                                   {"counts", result->counts},
                                   {"total", result->total}});
    };
    auto detections = [&auth, &store](const Request& r, const Caller&) {
        store::DetectionQuery q;
        q.since_ns = auth.Now() - 24 * kNsPerHour;
        if (const std::string v = QueryParam(r, "since"); !v.empty()) {
            auto ns = ParseTimestamp(v);
            if (!ns) return Response::Error(400, "since must be an RFC 3339 time");
            q.since_ns = *ns;
        }
        q.status = QueryParam(r, "status");
        q.cursor = QueryParam(r, "cursor");
        if (const std::string v = QueryParam(r, "limit"); !v.empty()) {
            auto n = ParseInt(v);
            if (!n || *n < 1 || *n > static_cast<int64_t>(kMaxPageLimit)) {
                return Response::Error(
                    400, "limit must be an integer from 1 to " + std::to_string(kMaxPageLimit));
            }
            q.limit = static_cast<size_t>(*n);
        }
        auto page = store.ListDetections(q);
        if (!page) return StoreFailure(page.error());
        json items = json::array();
        for (const auto& d : page->detections) {
            json ids = json::array();
            for (const auto& id : d.event_ids) ids.push_back(id.ToString());
            items.push_back({{"id", d.id.ToString()},
                             {"rule_id", d.rule_id},
                             {"rule_title", d.rule_title},
                             {"level", d.level},
                             {"time", FormatTimestamp(d.time_ns)},
                             {"created", FormatTimestamp(d.created_ns)},
                             {"status", d.status},
                             {"event_ids", std::move(ids)}});
        }
        return JsonReply(
            200, json{{"items", std::move(items)},
                      {"next_cursor",
                       page->next_cursor.empty() ? json(nullptr) : json(page->next_cursor)}});
    };
    auto status = [&pipeline](const Request&, const Caller& caller) {
        // Malformed samples are raw log text: only for a caller who may read events (the
        // status itself is for every role, the administrator and auditor included).
        return Response::Json(200, pipeline.StatusJson(AuthApi::May(caller, "events.read")));
    };
    auto metrics = [&pipeline](const Request&, const Caller&) {
        Response resp;
        resp.status = 200;
        resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
        resp.body = pipeline.PrometheusText();
        return resp;
    };
    const AuthApi::GuardedRoute routes[] = {
        {"POST",
         "/api/v1/events",
         "events.ingest",
         F::kFullOnly,
         intake,
         "Send events (JSON, JSON array, NDJSON or text lines); 202 once they are on disk",
         {"application/json", "application/x-ndjson", "text/plain"}},
        {"GET", "/api/v1/events", "events.read", F::kFullOnly, search,
         "Search stored events (since, until, q, f.<field>=<value>, limit, cursor)"},
        {"GET", "/api/v1/events/histogram", "events.read", F::kFullOnly, histogram,
         "Event counts over time for a search (buckets)"},
        {"GET", "/api/v1/events/{id}", "events.read", F::kFullOnly, get_event,
         "One stored event by id (time: the event's time, when known, to find it sooner)"},
        {"GET", "/api/v1/detections", "events.read", F::kFullOnly, detections,
         "Detections raised on stored events (since, status, limit, cursor)"},
        {"GET", "/api/v1/ingest/status", "system.status", F::kFullOnly, status,
         "Ingestion counters per source and stage"},
        {"GET", "/metrics", "system.status", F::kFullOnly, metrics,
         "Ingestion counters in Prometheus text format"},
    };
    return auth.AddGuarded(router, routes);
}

}  // namespace vigil::app
