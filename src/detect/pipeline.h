#pragma once
// A field-mapping pipeline: renames and flattens event fields to the names Sigma rules use,
// assigns the Sigma logsource (product / service / categories) and the event time.
// Loaded from a YAML file so sites can add their own shapes:
//
//   name: windows
//   transformations:
//     - strip_prefix: [Event.EventData., Event.System., winlog.event_data.]
//     - replace: {from: ".#attributes.", to: "_"}
//     - rename: {winlog.event_id: EventID, winlog.channel: Channel}
//   timestamp: [SystemTime, TimeCreated_SystemTime, "@timestamp"]
//   logsources:
//     - match: {Channel: Security}
//       product: windows
//       service: security
//     - match: {Channel: Microsoft-Windows-Sysmon/Operational, EventID: [1]}
//       category: process_creation
//     - match: {Channel: Security, EventID: 4688}
//       category: process_creation
//       rename: {NewProcessName: Image, ParentProcessName: ParentImage}
//
// Every logsource entry whose `match` holds (case-insensitive; a list means any of) adds
// to the event's logsource and applies its renames (each field renamed by its name before
// these renames, so names can be swapped).

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/time_zone.h"
#include "config/diagnostic.h"
#include "event/event.h"

namespace vigil::detect {

class Pipeline {
public:
    Pipeline();
    ~Pipeline();
    Pipeline(Pipeline&&) noexcept;
    Pipeline& operator=(Pipeline&&) noexcept;

    // Pipelines can be combined: entries of later files are appended.
    Status LoadFile(const std::string& path, config::Diagnostics& diags);
    Status LoadString(std::string_view yaml, const std::string& file, config::Diagnostics& diags);

    // Applies renames, logsource and time. Existing logsource values are kept (a source
    // configured with a logsource wins over the pipeline).
    // A time field without an offset is read in `zone` (UTC in the first form).
    void Apply(event::Event& ev) const;
    void Apply(event::Event& ev, const TimeZone& zone) const;

    bool empty() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::detect

namespace vigil::detect {
// Pipelines shipped with Vigil (pipelines/*.yml, compiled into the binary): name -> YAML.
const std::vector<std::pair<std::string, std::string>>& BuiltinPipelines();
}  // namespace vigil::detect
