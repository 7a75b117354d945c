// SPDX-License-Identifier: BSL-1.0
#pragma once
// What `runninghub batch` prints and writes as jobs end: the results file,
// failures by cause, the progress line and the summary.
#include "cli.hpp"

#include <runninghub/batch.hpp>
#include <runninghub/batch_files.hpp>

#include <map>
#include <string>
#include <vector>

namespace rhcli {

class batch_report {
public:
    batch_report(std::size_t jobs, rh::results_file* results);
    /// A job ended: its results line (durable), its latencies, its failure.
    void add(const rh::batch_result& r);
    /// Every job of the batch succeeded, in this run or in the one the results file remembers.
    bool all_succeeded(const rh::batch_summary& s) const;
    /// One line: rewritten in place on a terminal, one line each time otherwise.
    static void progress(const rh::batch_summary& s, bool tty);
    void print(const args& a, const target& t, const rh::batch_summary& s, const rh::client_stats& st) const;

private:
    std::size_t jobs_;
    rh::results_file* results_;
    std::size_t earlier_failures_ = 0;  // final lines other than SUCCESS in the results file
    std::size_t write_failures_ = 0;    // results or journal lines that could not be written
    std::size_t shown_ = 0;             // failures printed one by one
    std::vector<std::string> in_doubt_; // job ids (the first few)
    std::size_t adopted_ = 0;           // answers lost, tasks found by their callbacks
    std::vector<double> submit_ms_, done_ms_;
    std::map<std::string, std::size_t> failures_;
};

} // namespace rhcli
