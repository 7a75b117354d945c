// SPDX-License-Identifier: BSL-1.0
// `runninghub batch`: a thin wrapper over runninghub::batch_runner: the jobs
// (a jobs file, or --count copies of one job), the results file, the journal,
// Ctrl-C as a graceful stop, and the exit code.
#include "batch_report.hpp"

#include <runninghub/batch_files.hpp>

#include <CLI/CLI.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/json/serialize.hpp>

#include <cctype>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <unistd.h>

namespace rhcli {

using namespace std::chrono_literals;

void batch_flags(CLI::App& cmd, args& a) {
    auto* jobs = cmd.add_option("--jobs", a.jobs, "the jobs: a JSON Lines file, one job per line")->type_name("FILE");
    auto* count = cmd.add_option("--count", a.count, "without --jobs: this many copies of one job (default 200 on "
                                                     "the embedded emulator; required against the service)")
                      ->type_name("N")
                      ->check(CLI::Range(1, 10'000'000));
    jobs->excludes(count);
    cmd.add_option("--out", a.out, "the results file: one JSON line per job as it ends (required with --jobs)")
        ->type_name("FILE");
    cmd.add_option("--concurrency", a.concurrency, "jobs in progress at once, or auto (the client's submit gate "
                                                   "decides)")
        ->type_name("N|auto")
        ->check([](const std::string& v) -> std::string {
            char* end = nullptr;
            bool digits = !v.empty() && std::isdigit(static_cast<unsigned char>(v[0]));  // strtoul takes "-1"
            return v == "auto" || (digits && std::strtoul(v.c_str(), &end, 10) > 0 && !*end) ? ""
                                                                                     : "takes N > 0 or auto, not \"" +
                                                                                           v + "\"";
        })
        ->capture_default_str();
    target_flags(cmd, a);
    cmd.add_option("--download", a.download_dir, "download every result file into this directory")->type_name("DIR");
    cmd.add_option("--journal", a.journal, "record every submit durably in FILE (default: <out>.journal); run the "
                                           "same command again after a crash and it resumes")
        ->type_name("FILE");
    cmd.add_flag("--cancel-on-interrupt", a.cancel_on_interrupt,
                 "on Ctrl-C cancel accepted tasks at the service instead of waiting for them");
    cmd.add_flag("--resubmit-in-doubt", a.resubmit_in_doubt,
                 "submit again the jobs an earlier run left in doubt (their task may exist: this may pay twice)");
    cmd.add_flag("--progress", a.progress, "progress on stderr also when it is not a terminal (a line a second)");
    cmd.add_option("--job-timeout", a.job_timeout_s, "a deadline per job (its wait for room and for its task; "
                                                     "not the client's back-pressure wait); then its task is cancelled")
        ->type_name("SECONDS")
        ->check(CLI::PositiveNumber);
    cmd.add_option("--webhook-listen", a.webhook_listen,
                   "receive TASK_END callbacks on HOST:PORT (port 0: any free one): waits end on them, and a job "
                   "whose submit answer is lost is found by its task's callback instead of left in doubt")
        ->type_name("HOST:PORT");
    cmd.add_option("--webhook-url", a.webhook_url, "how the service reaches that listener from outside, e.g. "
                                                   "https://hooks.example.com (default: http://HOST:PORT)")
        ->type_name("URL");
    cmd.add_option("--adopt-timeout", a.adopt_timeout_s, "with --webhook-listen: how long a job whose submit answer "
                                                         "was lost waits for its task's callback")
        ->type_name("SECONDS")
        ->check(CLI::Range(0.0, 1e7))
        ->capture_default_str();
    timeout_flag(cmd, a, "give up waiting for a task after this many seconds");
}

namespace {

/// --webhook-listen and --webhook-url as listener options, with a fresh secret.
rh::webhook_options webhook_options_of(const args& a) {
    rh::webhook_options wo;
    auto colon = a.webhook_listen.rfind(':');
    char* end = nullptr;
    auto port = colon == std::string::npos ? 0ul : std::strtoul(a.webhook_listen.c_str() + colon + 1, &end, 10);
    bool digits = colon != std::string::npos && colon + 1 < a.webhook_listen.size() &&
                  std::isdigit(static_cast<unsigned char>(a.webhook_listen[colon + 1])) && !*end;
    if (!digits || port > 65535 || colon == 0)
        throw usage_error("--webhook-listen takes HOST:PORT (port 0 to 65535), not \"" + a.webhook_listen + "\"");
    wo.address = a.webhook_listen.substr(0, colon);
    wo.port = static_cast<unsigned short>(port);
    if (!a.webhook_url.empty() && !a.webhook_url.starts_with("https://") && !a.webhook_url.starts_with("http://"))
        throw usage_error("--webhook-url takes an http:// or https:// URL, not \"" + a.webhook_url + "\"");
    wo.public_url = a.webhook_url;
    wo.secret = rh::random_webhook_secret();
    return wo;
}

/// The jobs and the batch's identity for its journal.
struct batch_input {
    std::vector<rh::batch_job> jobs;
    std::string identity;
};

batch_input jobs_of(const args& a, const target& t) {
    batch_input in;
    // The embedded emulator's port changes from run to run; its results file still resumes.
    boost::json::object id{{"url", t.emu ? "embedded emulator" : t.opts.base_url}};
    if (!a.jobs.empty()) {
        auto file = rh::read_jobs_file(a.jobs, {a.app, a.workflow});
        in.jobs = std::move(file.jobs);
        id["jobs"] = std::to_string(file.fingerprint);
    } else {
        rh::batch_target what = rh::ai_app(t.app);
        if (!t.workflow.empty())
            what = rh::workflow(t.workflow);
        for (std::size_t i = 0; i < a.count; ++i) {
            in.jobs.emplace_back(what, t.inputs);
            in.jobs.back().id = std::to_string(i + 1);
        }
        boost::json::array inputs;
        for (auto& x : t.inputs)
            inputs.push_back(boost::json::array{boost::json::value(x.node_id), boost::json::value(x.field_name),
                                                x.field_value});
        id.insert({{"app", t.app}, {"workflow", t.workflow}, {"inputs", inputs}});
    }
    in.identity = boost::json::serialize(id);
    return in;
}

/// Usage rules that need the environment: --count has no default against the service.
void check_usage(args& a, const target& t) {
    if (!a.jobs.empty() && a.out.empty())
        throw usage_error("--jobs needs --out FILE (the results file)");
    if (!a.jobs.empty() && !a.inputs.empty())
        throw usage_error("--input is for --count; a jobs file gives each job its nodeInfoList");
    if (a.jobs.empty() && a.count == 0) {
        if (!t.emu)
            throw usage_error("against the service give --jobs FILE or --count N (tasks are paid for)");
        a.count = 200;
    }
    if (a.journal.empty() && !a.out.empty())
        a.journal = a.out + ".journal";
}

std::size_t workers_of(const args& a, std::size_t jobs) {
    if (a.concurrency != "auto")
        return std::min<std::size_t>(std::strtoul(a.concurrency.c_str(), nullptr, 10), std::max<std::size_t>(jobs, 1));
    return std::clamp<std::size_t>(jobs, 1, 1000);  // the submit gate holds the rest back
}

/// Ctrl-C (or SIGTERM): the first stops the batch gracefully, the second at once.
struct interrupts {
    interrupts(asio::io_context& io, asio::cancellation_signal& stop) : set(io, SIGINT, SIGTERM), stop(stop) { arm(); }
    void arm() {
        set.async_wait([this](rh::error_code ec, int) {
            if (ec)
                return;
            ++count;
            std::cerr << (count == 1 ? "\nrunninghub batch: interrupted: no new submits; finishing accepted tasks "
                                       "(Ctrl-C again to stop at once)\n"
                                     : "\nrunninghub batch: stopping at once\n");
            stop.emit(asio::cancellation_type::terminal);
            arm();
        });
    }
    asio::signal_set set;
    asio::cancellation_signal& stop;
    int count = 0;
};

} // namespace

int batch(const args& given) {
    args a = given;
    auto t = make_target(a, a.jobs.empty());
    check_usage(a, t);
    auto in = jobs_of(a, t);
    std::unique_ptr<rh::results_file> results;
    if (!a.out.empty())
        results = std::make_unique<rh::results_file>(a.out);
    std::unique_ptr<rh::batch_journal> journal;
    if (!a.journal.empty())
        journal = std::make_unique<rh::batch_journal>(a.journal, in.identity, in.jobs.size());
    asio::io_context io;
    rh::client c(io.get_executor(), t.opts);
    batch_report report(in.jobs.size(), results.get());
    rh::batch_options o;
    o.concurrency = workers_of(a, in.jobs.size());
    o.wait.timeout = timeout_of(a);
    o.job_timeout = std::chrono::duration_cast<rh::duration>(std::chrono::duration<double>(a.job_timeout_s));
    o.on_stop = a.cancel_on_interrupt ? rh::batch_stop::cancel_accepted : rh::batch_stop::wait_accepted;
    o.journal = journal.get();
    o.download_dir = a.download_dir;
    if (results)
        o.skip = [&](std::size_t i) {
            auto& id = in.jobs[i].id;
            bool again = a.resubmit_in_doubt && results->known().count(id) && results->known().at(id) == "UNKNOWN";
            return results->has_final(id) && !again;
        };
    o.resubmit_in_doubt = a.resubmit_in_doubt;
    o.on_result = [&](const rh::batch_result& r) { report.add(r); };
    if (bool tty = ::isatty(STDERR_FILENO) != 0; tty || a.progress) {
        o.progress_interval = tty ? 250ms : 1s;
        o.on_progress = [tty](const rh::batch_summary& s) { batch_report::progress(s, tty); };
    }
    std::unique_ptr<rh::webhook_listener> listener;
    if (!a.webhook_listen.empty()) {
        listener = std::make_unique<rh::webhook_listener>(io.get_executor(), webhook_options_of(a));
        c.attach(*listener);
        o.webhook = listener.get();
        o.adopt_timeout = std::chrono::duration_cast<rh::duration>(std::chrono::duration<double>(a.adopt_timeout_s));
        auto url = listener->callback_url();
        std::cerr << "runninghub batch: callbacks to " << url.substr(0, url.rfind('/')) << "/<secret>\n";
    }
    rh::batch_runner runner(c, o);
    asio::cancellation_signal stop;
    interrupts signals(io, stop);
    rh::batch_summary summary;
    rh::error_code run_ec;
    asio::co_spawn(io, runner.run(rh::batch_jobs::of(in.jobs), asio::bind_cancellation_slot(stop.slot(), tuple)),
                   [&](std::exception_ptr ep, std::tuple<rh::error_code, rh::batch_summary> r) {
                       if (ep)
                           std::rethrow_exception(ep);
                       std::tie(run_ec, summary) = r;
                       signals.set.cancel();
                       if (listener) {
                           c.detach();
                           listener->close();  // io runs out of work
                       }
                   });
    io.run();
    report.print(a, t, summary, c.stats());
    if (signals.count > 0) {
        auto left = summary.jobs - summary.ended - summary.skipped;
        std::cerr << "runninghub batch: interrupted; " << left << " of " << summary.jobs << " jobs not run"
                  << (a.out.empty() ? "" : ": run the same command again to resume") << "\n";
        return 130;
    }
    return report.all_succeeded(summary) ? 0 : 1;
}

} // namespace rhcli
