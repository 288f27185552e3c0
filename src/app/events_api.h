#pragma once
// The ingestion and event routes of `vigil serve`, each behind its permission:
//
//   POST /api/v1/events            events.ingest  JSON object, JSON array, NDJSON or text lines
//                                                 -> 202 {accepted, ids} once on disk; 503 when
//                                                 the spool is full (Retry-After)
//   GET  /api/v1/events            events.read ?since=&until=&q=&f.<field>=<value>&limit=&cursor=
//   GET  /api/v1/events/histogram  events.read    ?since=&until=&q=&f.<field>=&buckets=
//   GET  /api/v1/detections        events.read    ?since=&status=&limit=&cursor=
//   GET  /api/v1/ingest/status     system.status  counters per source and stage
//   GET  /metrics                  system.status  the same in Prometheus text format

#include "api/router.h"
#include "app/auth_api.h"
#include "base/result.h"

namespace vigil::store {
class EventStore;
}

namespace vigil::app {

class IngestPipeline;

Status AddEventRoutes(api::Router& router, AuthApi& auth, IngestPipeline& pipeline,
                      store::EventStore& store);

}  // namespace vigil::app
