// SPDX-License-Identifier: BSL-1.0
#pragma once
// The process's peak resident set (Linux), for the benchmarks and the bounded-memory test.

#include <fstream>
#include <string>

namespace runninghub::bench {

/// VmHWM in KiB; -1 when /proc cannot be read.
inline long peak_rss_kib() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmHWM:", 0) == 0)
            return std::stol(line.substr(6));
    return -1;
}

/// Resets VmHWM to the current RSS ("5" to /proc/self/clear_refs); false when refused.
inline bool reset_peak_rss() {
    std::ofstream out("/proc/self/clear_refs");
    out << "5";
    out.flush();
    return static_cast<bool>(out);
}

} // namespace runninghub::bench
