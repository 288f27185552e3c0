#pragma once
// A realistic event mix for benchmarks: Windows (Sysmon, Security, PowerShell in the
// evtx_dump JSON shape), Linux (sshd, auditd, process creation) and web access events,
// mostly benign, generated deterministically, plus the real SigmaHQ regression events.

#include <string>
#include <vector>

namespace vigil::bench {

// Returns compact JSON documents, one per event. `count` generated events are mixed with
// the regression events found under shared_data (if present).
std::vector<std::string> EventMix(size_t count, const std::string& shared_data);

}  // namespace vigil::bench
