// `runninghub batch`: a thin wrapper over runninghub::batch_runner, and its printing.
#include "cli.hpp"

#include <runninghub/batch.hpp>

#include <CLI/CLI.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <iostream>
#include <map>
#include <unistd.h>

namespace rhcli {

using namespace std::chrono_literals;

void batch_flags(CLI::App& cmd, args& a) {
    cmd.add_option("--count", a.count, "tasks to submit")
        ->type_name("N")
        ->check(CLI::Range(1, 10'000'000))
        ->capture_default_str();
    cmd.add_option("--concurrency", a.concurrency, "tasks in progress at once (default: all on the emulator, "
                                                   "1 against the service)")
        ->type_name("C")
        ->check(CLI::Range(1, 10'000'000));
    target_flags(cmd, a);
    cmd.add_option("--download", a.download_dir, "download every result file into this directory")->type_name("DIR");
    cmd.add_flag("--progress", a.progress, "progress on stderr also when it is not a terminal");
    cmd.add_option("--journal", a.journal, "record every submit durably in FILE; run the same command again "
                                           "after a crash and accepted tasks are waited for, not submitted again")
        ->type_name("FILE");
    timeout_flag(cmd, a, "give up waiting for a task after this many seconds");
}

namespace {

double ms(rh::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5))];
}

/// What the summary prints beyond the runner's counts: latencies and failures by cause.
struct batch_report {
    std::size_t count;
    std::vector<double> submit_ms, done_ms;
    std::map<std::string, std::size_t> failures;

    void add(const rh::batch_result& r) {
        if (r.submit_latency)
            submit_ms.push_back(ms(*r.submit_latency));
        if (r.latency)
            done_ms.push_back(ms(*r.latency));
        if (r.journal_error)
            ++failures["journal: " + r.journal_error.message()];
        if (r.outcome == rh::batch_outcome::succeeded)
            return;
        if (r.step == rh::batch_step::earlier_run)
            ++failures[r.outcome == rh::batch_outcome::in_doubt ? "in doubt from an earlier run (not resubmitted)"
                                                                : "earlier run: " + r.t.status_text];
        else
            ++failures[std::string(rh::to_string(r.step)) + ": " + r.ec.message()];
        if (r.step == rh::batch_step::submit && failures.size() == 1 && count <= 1000)
            std::cerr << "submit failed: " << describe(r.ec, r.t.diag) << "\n";
    }

    /// A line rewritten in place on a terminal, one line each time otherwise.
    static void progress(const rh::batch_summary& s, bool tty) {
        double secs = std::chrono::duration<double>(s.elapsed).count();
        std::cerr << (tty ? "\r" : "") << "  " << s.ended << "/" << s.jobs << " done, " << s.succeeded << " ok, "
                  << (s.ended - s.succeeded) << " failed, " << s.in_flight << " in flight, "
                  << int(secs > 0 ? s.succeeded / secs : 0) << " tasks/s"
                  << (s.files ? ", " + std::to_string(s.files) + " files" : "") << (tty ? "   " : "\n") << std::flush;
        if (tty && s.finished)
            std::cerr << "\r" << std::string(80, ' ') << "\r" << std::flush;
    }

    void print(const args& a, const target& t, const rh::batch_summary& s, const rh::client_stats& st) const;
};

void batch_report::print(const args& a, const target& t, const rh::batch_summary& s,
                         const rh::client_stats& st) const {
    double secs = std::chrono::duration<double>(s.elapsed).count();
    std::cout << "runninghub batch: " << a.count << " tasks against " << t.opts.base_url << "\n"
              << "  succeeded           " << s.succeeded << " of " << a.count << " in " << secs << " s ("
              << (s.succeeded / secs) << " tasks/s)\n"
              << "  requests sent       " << st.pool.requests << " (" << st.queries << " queries, "
              << (a.count ? double(st.queries) / double(a.count) : 0) << " per task)\n"
              << "  connections         opened " << st.pool.opened << ", reused " << st.pool.reused
              << " times, TLS handshakes " << st.pool.tls_handshakes << " (" << st.pool.tls_resumed << " resumed)\n"
              << "  submit latency      p50 " << percentile(submit_ms, 0.5) << " ms, p99 "
              << percentile(submit_ms, 0.99) << " ms\n"
              << "  submit-to-done      p50 " << percentile(done_ms, 0.5) << " ms, p99 " << percentile(done_ms, 0.99)
              << " ms\n";
    if (!a.journal.empty())
        std::cout << "  journal             " << a.journal << ": " << s.taken_over
                  << " tasks taken over from an earlier run\n";
    if (!a.download_dir.empty())
        std::cout << "  downloaded          " << s.files << " files, " << s.bytes << " bytes into " << a.download_dir
                  << "\n";
    if (failures.empty())
        std::cout << "  failures            none\n";
    for (auto& [cause, n] : failures)
        std::cout << "  failures            " << n << " × " << cause << "\n";
    if (t.emu) {
        auto ec = t.emu->counters();
        std::cout << "  emulator            " << ec.tasks_created << " tasks created, " << ec.total_requests()
                  << " requests, " << ec.connections << " connections\n";
    }
}

/// The journal knows its batch by the target: service, app or workflow, and inputs.
std::string batch_identity(const target& t) {
    boost::json::array inputs;
    for (auto& in : t.inputs)
        inputs.push_back(boost::json::array{boost::json::value(in.node_id), boost::json::value(in.field_name),
                                            in.field_value});
    boost::json::object id{{"url", t.opts.base_url}, {"app", t.app}, {"workflow", t.workflow}, {"inputs", inputs}};
    return boost::json::serialize(id);
}

} // namespace

int batch(const args& a) {
    auto t = make_target(a, true);
    asio::io_context io;
    rh::client c(io.get_executor(), t.opts);
    std::unique_ptr<rh::batch_journal> journal;
    if (!a.journal.empty())
        journal = std::make_unique<rh::batch_journal>(a.journal, batch_identity(t), a.count);
    batch_report report{a.count, {}, {}, {}};
    rh::batch_options o;
    o.concurrency = std::min(a.concurrency ? a.concurrency : (t.emu ? a.count : 1), a.count);
    o.wait.timeout = timeout_of(a);
    o.journal = journal.get();
    o.download_dir = a.download_dir;
    o.on_result = [&](const rh::batch_result& r) { report.add(r); };
    if (bool tty = ::isatty(STDERR_FILENO) != 0; tty || a.progress) {
        o.progress_interval = tty ? 250ms : 1s;
        o.on_progress = [tty](const rh::batch_summary& s) { batch_report::progress(s, tty); };
    }
    rh::batch_runner runner(c, o);
    std::variant<rh::ai_app, rh::workflow> what = rh::ai_app(t.app);
    if (!t.workflow.empty())
        what = rh::workflow(t.workflow);
    rh::batch_summary summary;
    asio::co_spawn(io, runner.run(rh::batch_jobs::repeat({what, t.inputs}, a.count)),
                   [&](std::exception_ptr ep, rh::batch_summary s) {
                       if (ep)
                           std::rethrow_exception(ep);
                       summary = s;
                   });
    io.run();
    report.print(a, t, summary, c.stats());
    return summary.succeeded > 0 ? 0 : 1;
}

} // namespace rhcli
