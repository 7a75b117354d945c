// SPDX-License-Identifier: BSL-1.0
// `runninghub batch`'s output: results lines, failures, progress, the summary.
#include "batch_report.hpp"

#include <algorithm>
#include <iostream>

namespace rhcli {

namespace {

double ms(rh::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5))];
}

std::string clock_text(rh::duration d) {
    auto s = std::chrono::duration_cast<std::chrono::seconds>(d).count();
    char buf[32];
    std::snprintf(buf, sizeof buf, "%lld:%02lld", static_cast<long long>(s / 60), static_cast<long long>(s % 60));
    return buf;
}

} // namespace

batch_report::batch_report(std::size_t jobs, rh::results_file* results) : jobs_(jobs), results_(results) {
    if (results_)
        for (auto& [id, status] : results_->known())
            earlier_failures_ += results_->has_final(id) && status != "SUCCESS";
}

void batch_report::add(const rh::batch_result& r) {
    if (results_)
        if (auto ec = results_->append(r)) {
            ++write_failures_;  // the job's line is missing: the batch cannot count as a success
            std::cerr << "runninghub batch: cannot write " << results_->path() << ": " << ec.message() << "\n";
        }
    if (r.submit_latency)
        submit_ms_.push_back(ms(*r.submit_latency));
    if (r.latency)
        done_ms_.push_back(ms(*r.latency));
    if (r.journal_error) {
        ++failures_["journal: " + r.journal_error.message()];
        ++write_failures_;
    }
    adopted_ += r.adopted;
    if (r.outcome == rh::batch_outcome::succeeded)
        return;
    if (r.outcome == rh::batch_outcome::in_doubt && in_doubt_.size() < 10)
        in_doubt_.push_back(r.job_id + (r.t.id.empty() ? "" : " (task " + r.t.id + ")"));
    if (r.step == rh::batch_step::earlier_run)
        ++failures_[r.outcome == rh::batch_outcome::in_doubt ? "in doubt from an earlier run (not resubmitted)"
                                                             : "earlier run: " + r.t.status_text];
    else
        ++failures_[std::string(rh::to_string(r.step)) + ": " + r.ec.message()];
    if (shown_++ < 5) {  // the first few in full: the task, the service's reason
        std::cerr << "runninghub batch: job " << r.job_id << (r.t.id.empty() ? "" : " task " + r.t.id) << " "
                  << rh::result_status(r) << ": " << describe(r.ec, r.t.diag) << "\n";
        print_failure(std::cerr, r.t.failed_reason);
    }
}

bool batch_report::all_succeeded(const rh::batch_summary& s) const {
    return earlier_failures_ == 0 && write_failures_ == 0 && s.failed == 0 && s.in_doubt == 0 && s.ended + s.skipped == s.jobs;
}

void batch_report::progress(const rh::batch_summary& s, bool tty) {
    std::string line = std::to_string(s.ended + s.skipped) + "/" + std::to_string(s.jobs) + " done, " +
                       std::to_string(s.succeeded) + " ok, " + std::to_string(s.failed + s.in_doubt) + " failed, " +
                       std::to_string(s.in_flight) + " in flight, " + std::to_string(s.waiting) + " waiting";
    if (s.window > 0)
        line += ", window " + std::to_string(static_cast<int>(s.window));
    if (s.eta)
        line += ", ETA " + clock_text(*s.eta);
    if (s.coins > 0)
        line += ", " + std::to_string(static_cast<long long>(s.coins)) + " coins";
    if (s.files)
        line += ", " + std::to_string(s.files) + " files";
    if (s.stopping)
        line += " (stopping)";
    if (!tty) {
        std::cerr << "  " << line << "\n" << std::flush;
        return;
    }
    std::size_t done = s.jobs ? (s.ended + s.skipped) * 20 / s.jobs : 20;
    std::cerr << "\r[" << std::string(done, '#') << std::string(20 - done, '.') << "] " << line << "\x1b[K"
              << std::flush;
    if (s.finished)
        std::cerr << "\r\x1b[K" << std::flush;
}

void batch_report::print(const args& a, const target& t, const rh::batch_summary& s,
                         const rh::client_stats& st) const {
    double secs = std::max(1e-9, std::chrono::duration<double>(s.elapsed).count());
    std::size_t ran = s.ended;
    std::cout << "runninghub batch: " << jobs_ << " jobs against " << t.opts.base_url << "\n"
              << "  succeeded           " << s.succeeded << " of " << ran << " in " << secs << " s ("
              << (s.succeeded / secs) << " tasks/s)\n";
    if (s.skipped)
        std::cout << "  skipped             " << s.skipped << " (in " << a.out << " already)\n";
    if (s.in_doubt) {
        std::cout << "  in doubt            " << s.in_doubt << " (a task may exist; not resubmitted):";
        for (auto& j : in_doubt_)
            std::cout << " " << j;
        std::cout << (s.in_doubt > in_doubt_.size() ? " …" : "") << "\n"
                  << "                      a job with a task id: `runninghub wait <taskId>` tells how it ended (run the\n"
                  << "                      same command again: it waits for it); without one, find its task in the\n"
                  << "                      RunningHub console by its time; to submit them again anyway (it may pay\n"
                  << "                      twice), run the same command with --resubmit-in-doubt\n";
        if (a.webhook_listen.empty())
            std::cout << "                      (with --webhook-listen, a job whose answer is lost is found by its\n"
                      << "                      task's callback instead)\n";
    }
    if (adopted_)
        std::cout << "  adopted             " << adopted_ << " (submit answers lost; their tasks found by their callbacks)\n";
    std::cout << "  requests sent       " << st.pool.requests << " (" << st.queries << " queries, "
              << (ran ? double(st.queries) / double(ran) : 0) << " per task)\n"
              << "  connections         opened " << st.pool.opened << ", reused " << st.pool.reused
              << " times, TLS handshakes " << st.pool.tls_handshakes << " (" << st.pool.tls_resumed << " resumed)\n"
              << "  submit latency      p50 " << percentile(submit_ms_, 0.5) << " ms, p99 "
              << percentile(submit_ms_, 0.99) << " ms\n"
              << "  submit-to-done      p50 " << percentile(done_ms_, 0.5) << " ms, p99 " << percentile(done_ms_, 0.99)
              << " ms\n"
              << "  submit window       " << st.throttle.window << " (peak queue " << st.throttle.queued_peak
              << ", " << st.throttle.shrinks << " shrinks)\n";
    if (!a.journal.empty())
        std::cout << "  journal             " << a.journal << ": " << s.taken_over
                  << " tasks taken over from an earlier run\n";
    if (!a.out.empty())
        std::cout << "  results             " << a.out << "\n";
    if (!a.download_dir.empty())
        std::cout << "  downloaded          " << s.files << " files, " << s.bytes << " bytes into " << a.download_dir
                  << "\n";
    if (s.uploads)
        std::cout << "  uploaded            " << s.uploads << " files\n";
    if (failures_.empty())
        std::cout << "  failures            none\n";
    for (auto& [cause, n] : failures_)
        std::cout << "  failures            " << n << " × " << cause << "\n";
    if (t.emu) {
        auto ec = t.emu->counters();
        std::cout << "  emulator            " << ec.tasks_created << " tasks created, " << ec.tasks_cancelled
                  << " cancelled, " << ec.total_requests() << " requests, " << ec.connections << " connections\n";
    }
}

} // namespace rhcli
