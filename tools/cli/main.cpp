// runninghub: the command-line tool.
//   runninghub batch [--count N] [--concurrency C] [--app ID] [--input NODE:FIELD=VALUE]...
//   runninghub run --app ID | --workflow ID [--input NODE:FIELD=VALUE]...
//   runninghub query TASK_ID      runninghub wait TASK_ID [--timeout SECONDS]
// Without RUNNINGHUB_API_KEY every command talks to an embedded emulator.

#include <runninghub/client.hpp>
#include <runninghub/emulator.hpp>
#include <runninghub/journal.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <unistd.h>

namespace asio = boost::asio;
namespace rh = runninghub;
using namespace std::chrono_literals;

namespace {

struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

const char* usage_text =
    "usage: runninghub <command> [options]\n"
    "  batch [--count N] [--concurrency C] [--app ID | --workflow ID] [--input NODE:FIELD=VALUE]...\n"
    "        [--download DIR] [--progress] [--journal FILE]\n"
    "        submit N tasks (default 200), wait for all (and download their results), print a summary;\n"
    "        progress goes to stderr when it is a terminal, or always with --progress;\n"
    "        --journal FILE records every submit durably: run the same command again after a crash\n"
    "        and accepted tasks are waited for, not submitted again (in-doubt ones are reported)\n"
    "  run   (--app ID | --workflow ID) [--input NODE:FIELD=VALUE]...   submit one task, print its id\n"
    "  query TASK_ID                                                   print the task once\n"
    "  wait  TASK_ID [--timeout SECONDS]                               poll until the task ends\n"
    "  cancel TASK_ID | outputs TASK_ID | status TASK_ID               the legacy task endpoints\n"
    "  download TASK_ID [--dir DIR]      download the task's result files (resumable, verified)\n"
    "  upload FILE [--legacy TYPE | --lora NAME]   upload (v2; legacy fileType image|video|audio|input; LoRA)\n"
    "  account                           the account's coins and running tasks\n"
    "  app APP_ID                        an AI app's inputs and their defaults (apiCallDemo)\n"
    "  emulator [--port P] [--threads N] [--plain] [--ca-out FILE] [--url-out FILE] [--run-ms MS]\n"
    "        serve the RunningHub emulator on 127.0.0.1 until interrupted\n"
    "Environment: RUNNINGHUB_API_KEY (unset: an embedded emulator is used), RUNNINGHUB_BASE_URL,\n"
    "RUNNINGHUB_CA_FILE. --input values are JSON when they parse as JSON, else strings.\n";

struct args {
    std::string command;
    std::vector<std::string> positional;
    std::size_t count = 200;
    std::size_t concurrency = 0;
    std::string app, workflow;
    std::vector<rh::node_input> inputs;
    double timeout_s = 1800;
    unsigned short port = 0;
    unsigned threads = 1;
    bool plain = false;
    std::string ca_out, url_out;
    std::string dir = ".", legacy_type, lora_name, download_dir, journal;
    bool progress = false;
    std::size_t run_ms = 0;
};

std::size_t to_count(const std::string& flag, const std::string& v) {
    char* end = nullptr;
    unsigned long long n = std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || *end || n == 0 || n > 10'000'000)
        throw usage_error(flag + " takes a whole number from 1 to 10000000, not \"" + v + "\"");
    return n;
}

rh::node_input parse_input(const std::string& v) {
    auto colon = v.find(':');
    auto eq = v.find('=', colon == std::string::npos ? 0 : colon);
    if (colon == std::string::npos || eq == std::string::npos || colon == 0 || eq == colon + 1)
        throw usage_error("--input takes NODE:FIELD=VALUE, not \"" + v + "\"");
    rh::node_input in{v.substr(0, colon), v.substr(colon + 1, eq - colon - 1), nullptr};
    std::string value = v.substr(eq + 1);
    boost::system::error_code ec;
    auto j = boost::json::parse(value, ec);
    if (!ec && !j.is_object() && !j.is_array())
        in.field_value = j;
    else
        in.field_value = value;
    return in;
}

args parse_args(int argc, char** argv) {
    args a;
    if (argc < 2)
        throw usage_error("no command");
    a.command = argv[1];
    for (int i = 2; i < argc; ++i) {
        std::string s = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc)
                throw usage_error(s + " needs a value");
            return argv[++i];
        };
        if (s == "--count") a.count = to_count(s, value());
        else if (s == "--concurrency") a.concurrency = to_count(s, value());
        else if (s == "--app") a.app = value();
        else if (s == "--workflow") a.workflow = value();
        else if (s == "--input") a.inputs.push_back(parse_input(value()));
        else if (s == "--port") a.port = static_cast<unsigned short>(to_count(s, value()));
        else if (s == "--threads") a.threads = static_cast<unsigned>(to_count(s, value()));
        else if (s == "--plain") a.plain = true;
        else if (s == "--ca-out") a.ca_out = value();
        else if (s == "--url-out") a.url_out = value();
        else if (s == "--dir") a.dir = value();
        else if (s == "--download") a.download_dir = value();
        else if (s == "--progress") a.progress = true;
        else if (s == "--journal") a.journal = value();
        else if (s == "--run-ms") a.run_ms = to_count(s, value());
        else if (s == "--legacy") a.legacy_type = value();
        else if (s == "--lora") a.lora_name = value();
        else if (s == "--timeout") {
            auto v = value();
            char* end = nullptr;
            a.timeout_s = std::strtod(v.c_str(), &end);
            if (*end || !(a.timeout_s > 0))
                throw usage_error("--timeout takes a positive number of seconds, not \"" + v + "\"");
        } else if (s.starts_with("--")) throw usage_error("unknown option " + s);
        else a.positional.push_back(s);
    }
    if (!a.app.empty() && !a.workflow.empty())
        throw usage_error("give --app or --workflow, not both");
    if (!a.legacy_type.empty() && !a.lora_name.empty())
        throw usage_error("give --legacy or --lora, not both");
    return a;
}

struct target {
    std::unique_ptr<rh::emulator> emu;
    rh::client_options opts;
    std::string app, workflow;
    std::vector<rh::node_input> inputs;
};

target make_target(const args& a) {
    target t;
    if (std::getenv("RUNNINGHUB_API_KEY")) {
        t.opts = rh::client_options::from_env();
        t.app = a.app;
        t.workflow = a.workflow;
        if (t.app.empty() && t.workflow.empty())
            if (const char* id = std::getenv("RUNNINGHUB_APP_ID"); id && *id)
                t.app = id;
        if (t.app.empty() && t.workflow.empty() && (a.command == "batch" || a.command == "run"))
            throw usage_error("with RUNNINGHUB_API_KEY set, give --app ID (or RUNNINGHUB_APP_ID) or --workflow ID, "
                              "and its --input values");
        t.inputs = a.inputs;
    } else {
        rh::emulator_options eo;
        eo.run_time = 300ms;
        eo.queue_time = 100ms;
        eo.failure_rate = 0.02;
        t.emu = std::make_unique<rh::emulator>(eo);
        t.opts = t.emu->make_client_options();
        t.opts.poll.first_delay = 300ms;
        t.opts.poll.interval = 100ms;
        t.opts.poll.cap = 1s;
        t.app = a.app.empty() && a.workflow.empty() ? eo.ai_apps.front() : a.app;
        t.workflow = a.workflow;
        t.inputs = a.inputs;
        if (t.inputs.empty())
            t.inputs.push_back({"9", "text", "a cat in a hat"});
        std::cerr << "runninghub: RUNNINGHUB_API_KEY is not set: using the embedded emulator at " << t.emu->base_url()
                  << "\n";
    }
    auto level = std::getenv("RUNNINGHUB_LOG") ? rh::log_level::debug : rh::log_level::warning;
    t.opts.log_threshold = level;
    t.opts.logger = [](rh::log_level, std::string_view line) { std::cerr << "runninghub: " << line << "\n"; };
    return t;
}

void print_task(const rh::task& t) {
    std::cout << "task " << t.id << " " << rh::to_string(t.status);
    if (!t.error_code.empty())
        std::cout << " errorCode=" << t.error_code << " (" << t.error_message << ")";
    std::cout << "\n";
    for (auto& r : t.results)
        std::cout << "  result node " << r.node_id << " [" << r.output_type << "] "
                  << (r.text ? *r.text : r.url) << "\n";
}

std::string describe(const rh::error_code& ec, const rh::diagnostics& d) {
    std::string s = ec.message();
    if (auto more = d.to_string(); !more.empty())
        s += " [" + more + "]";
    return s;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * (v.size() - 1) + 0.5))];
}


int batch(const args& a) {
    auto t = make_target(a);
    asio::io_context io;
    rh::client c(io.get_executor(), t.opts);
    std::size_t workers = a.concurrency ? a.concurrency : (t.emu ? a.count : 1);
    workers = std::min(workers, a.count);
    std::vector<double> submit_ms, done_ms;
    std::map<std::string, std::size_t> failures;
    std::size_t next = 0, succeeded = 0, ended = 0, files = 0, resumed = 0;
    // The journal names the batch by its target, app or workflow and inputs.
    std::unique_ptr<rh::batch_journal> journal;
    if (!a.journal.empty()) {
        boost::json::array inputs;
        for (auto& in : t.inputs)
            inputs.push_back(boost::json::array{boost::json::value(in.node_id), boost::json::value(in.field_name), in.field_value});
        boost::json::object id{{"url", t.opts.base_url}, {"app", t.app}, {"workflow", t.workflow}, {"inputs", inputs}};
        journal = std::make_unique<rh::batch_journal>(a.journal, boost::json::serialize(id), a.count);
    }
    std::uint64_t bytes = 0;
    auto start = rh::clock::now();
    auto ms_since = [](rh::time_point p) {
        return std::chrono::duration<double, std::milli>(rh::clock::now() - p).count();
    };
    if (!a.download_dir.empty()) {
        std::error_code fec;
        std::filesystem::create_directories(a.download_dir, fec);
        if (fec)
            throw std::runtime_error("cannot create " + a.download_dir + ": " + fec.message());
    }
    // Progress: a line rewritten in place on a terminal, one line a second otherwise (--progress).
    bool tty = ::isatty(STDERR_FILENO) != 0;
    asio::steady_timer ticker(io);
    rh::time_point finished_at{};
    auto one_ended = [&] {
        if (++ended == a.count) {
            finished_at = rh::clock::now();
            ticker.cancel();  // the progress line stops with the last task
        }
    };
    if (tty || a.progress) {
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            while (ended < a.count) {
                ticker.expires_after(tty ? 250ms : 1s);
                co_await ticker.async_wait(asio::as_tuple(asio::use_awaitable));
                double secs = std::chrono::duration<double>(rh::clock::now() - start).count();
                std::size_t failed = ended - succeeded;
                std::cerr << (tty ? "\r" : "") << "  " << ended << "/" << a.count << " done, " << succeeded << " ok, "
                          << failed << " failed, " << (next - ended) << " in flight, " << int(succeeded / secs)
                          << " tasks/s" << (files ? ", " + std::to_string(files) + " files" : "")
                          << (tty ? "   " : "\n") << std::flush;
            }
            if (tty)
                std::cerr << "\r" << std::string(80, ' ') << "\r" << std::flush;
        }, asio::detached);
    }
    for (std::size_t w = 0; w < workers; ++w) {
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            while (next < a.count) {
                std::size_t i = next++;
                auto t0 = rh::clock::now();
                rh::error_code ec;
                rh::task task;
                auto st = journal ? (*journal)[i].st : rh::batch_journal::state::pending;
                if (st == rh::batch_journal::state::ended) {  // done in an earlier run
                    ++resumed;
                    (*journal)[i].status == "SUCCESS" ? void(++succeeded) : void(++failures["earlier run: " + (*journal)[i].status]);
                    one_ended();
                    continue;
                }
                if (st == rh::batch_journal::state::in_doubt) {  // may exist and be billed: never resubmitted blindly
                    ++failures["in doubt from an earlier run (not resubmitted)"];
                    one_ended();
                    continue;
                }
                if (st == rh::batch_journal::state::accepted) {
                    ++resumed;
                    task.id = (*journal)[i].task_id;
                } else {
                    if (journal && (ec = journal->submitting(i))) {
                        ++failures["journal: " + ec.message()];
                        one_ended();
                        continue;
                    }
                    std::tie(ec, task) = co_await [&]() -> asio::awaitable<std::tuple<rh::error_code, rh::task>> {
                        if (!t.workflow.empty())
                            co_return co_await c.run(rh::workflow{t.workflow}, t.inputs, {}, asio::as_tuple(asio::use_awaitable));
                        co_return co_await c.run(rh::ai_app{t.app}, t.inputs, {}, asio::as_tuple(asio::use_awaitable));
                    }();
                    if (journal) {
                        auto jec = !ec ? journal->accepted(i, task.id)
                                   : ec == rh::errc::submit_outcome_unknown ? journal->unknown(i)
                                   : (ec == rh::errc::task_failed && !task.id.empty()) ? journal->ended(i, "FAILED")
                                                                                        : journal->not_created(i);
                        if (jec)
                            ++failures["journal: " + jec.message()];
                    }
                }
                if (ec) {
                    ++failures["submit: " + ec.message()];
                    one_ended();
                    if (failures.size() == 1 && a.count <= 1000)
                        std::cerr << "submit failed: " << describe(ec, task.diag) << "\n";
                    continue;
                }
                submit_ms.push_back(ms_since(t0));
                auto [wec, done] = co_await c.wait(task.id, {.timeout = std::chrono::duration_cast<rh::duration>(
                                                                 std::chrono::duration<double>(a.timeout_s))},
                                                   asio::as_tuple(asio::use_awaitable));
                if (journal && (!wec || wec == rh::errc::task_failed || wec == rh::errc::task_cancelled))
                    if (auto jec = journal->ended(i, rh::to_string(done.status)))
                        ++failures["journal: " + jec.message()];
                if (wec) {
                    ++failures["wait: " + wec.message()];
                    one_ended();
                    continue;
                }
                done_ms.push_back(ms_since(t0));
                bool fetched = true;
                if (!a.download_dir.empty()) {
                    for (auto& r : done.results) {
                        // One file per result, named after the task so that tasks never overwrite each other.
                        auto name = done.id + "-" + r.node_id + "." + (r.output_type.empty() ? "bin" : r.output_type);
                        auto [dec, d] = co_await c.download(r, std::filesystem::path(a.download_dir) / name, {},
                                                            asio::as_tuple(asio::use_awaitable));
                        if (dec) {
                            ++failures["download: " + dec.message()];
                            fetched = false;
                            break;
                        }
                        ++files;
                        bytes += d.bytes;
                    }
                }
                succeeded += fetched;
                one_ended();
            }
        }, asio::detached);
    }
    io.run();
    double secs = std::chrono::duration<double>((ended == a.count ? finished_at : rh::clock::now()) - start).count();
    auto s = c.stats();
    std::cout << "runninghub batch: " << a.count << " tasks against " << t.opts.base_url << "\n"
              << "  succeeded           " << succeeded << " of " << a.count << " in " << secs << " s ("
              << (succeeded / secs) << " tasks/s)\n"
              << "  requests sent       " << s.pool.requests << " (" << s.queries << " queries, "
              << (a.count ? double(s.queries) / double(a.count) : 0) << " per task)\n"
              << "  connections         opened " << s.pool.opened << ", reused " << s.pool.reused
              << " times, TLS handshakes " << s.pool.tls_handshakes << " (" << s.pool.tls_resumed << " resumed)\n"
              << "  submit latency      p50 " << percentile(submit_ms, 0.5) << " ms, p99 " << percentile(submit_ms, 0.99)
              << " ms\n"
              << "  submit-to-done      p50 " << percentile(done_ms, 0.5) << " ms, p99 " << percentile(done_ms, 0.99)
              << " ms\n";
    if (journal)
        std::cout << "  journal             " << a.journal << ": " << resumed << " tasks taken over from an earlier run\n";
    if (!a.download_dir.empty())
        std::cout << "  downloaded          " << files << " files, " << bytes << " bytes into " << a.download_dir << "\n";
    if (failures.empty())
        std::cout << "  failures            none\n";
    for (auto& [cause, n] : failures)
        std::cout << "  failures            " << n << " × " << cause << "\n";
    if (t.emu) {
        auto ec = t.emu->counters();
        std::cout << "  emulator            " << ec.tasks_created << " tasks created, " << ec.total_requests()
                  << " requests, " << ec.connections << " connections\n";
    }
    return succeeded + failures.size() > 0 && succeeded > 0 ? 0 : 1;
}

int serve_emulator(const args& a) {
    rh::emulator_options eo;
    eo.port = a.port;
    eo.threads = a.threads;
    eo.tls = !a.plain;
    if (a.run_ms)
        eo.run_time = std::chrono::milliseconds(a.run_ms);
    rh::emulator emu(eo);
    auto write = [](const std::string& path, const std::string& text) {
        std::ofstream f(path);
        f << text;
        if (!f)
            throw std::runtime_error("cannot write " + path);
    };
    if (!a.ca_out.empty())
        write(a.ca_out, emu.ca_pem());
    if (!a.url_out.empty())
        write(a.url_out, emu.base_url() + "\n");
    std::cout << "emulator at " << emu.base_url() << " (API key " << rh::emulator::default_api_key << ")"
              << std::endl;
    asio::io_context io;
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([](rh::error_code, int) {});
    io.run();
    auto c = emu.counters();
    std::cout << "emulator: " << c.total_requests() << " requests, " << c.tasks_created << " tasks\n";
    return 0;
}

int single(const args& a) {
    auto t = make_target(a);
    asio::io_context io;
    rh::client c(io.get_executor(), t.opts);
    int rc = 1;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        rh::error_code ec;
        rh::task task;
        if (a.command == "run") {
            std::tie(ec, task) = co_await [&]() -> asio::awaitable<std::tuple<rh::error_code, rh::task>> {
                if (!t.workflow.empty())
                    co_return co_await c.run(rh::workflow{t.workflow}, t.inputs, {}, asio::as_tuple(asio::use_awaitable));
                co_return co_await c.run(rh::ai_app{t.app}, t.inputs, {}, asio::as_tuple(asio::use_awaitable));
            }();
        } else {
            if (a.positional.size() != 1)
                throw usage_error(a.command + " takes one TASK_ID");
            if (a.command == "query")
                std::tie(ec, task) = co_await c.query(a.positional[0], asio::as_tuple(asio::use_awaitable));
            else
                std::tie(ec, task) = co_await c.wait(
                    a.positional[0],
                    {.timeout = std::chrono::duration_cast<rh::duration>(std::chrono::duration<double>(a.timeout_s))},
                    asio::as_tuple(asio::use_awaitable));
        }
        if (!task.id.empty())
            print_task(task);
        if (ec)
            std::cerr << "runninghub " << a.command << ": " << describe(ec, task.diag) << "\n";
        rc = ec ? 1 : 0;
    }, [](std::exception_ptr ep) { if (ep) std::rethrow_exception(ep); });
    io.run();
    return rc;
}

// The other endpoints: one call each, a readable line per result.
int endpoint(const args& a) {
    auto t = make_target(a);
    asio::io_context io;
    rh::client c(io.get_executor(), t.opts);
    int rc = 1;
    auto one_arg = [&](const char* what) {
        if (a.positional.size() != 1)
            throw usage_error(a.command + " takes one " + what);
        return a.positional[0];
    };
    constexpr auto tuple = asio::as_tuple(asio::use_awaitable);
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        rh::error_code ec;
        rh::diagnostics diag;
        if (a.command == "account") {
            auto [e, acc] = co_await c.account(tuple);
            ec = e;
            diag = acc.diag;
            if (!ec)
                std::cout << "coins " << acc.remain_coins << ", money " << acc.remain_money.value_or("-") << " "
                          << acc.currency.value_or("") << ", tasks running " << acc.current_task_counts << ", type "
                          << acc.api_type << "\n";
        } else if (a.command == "app") {
            auto [e, info] = co_await c.app_details(rh::ai_app(one_arg("APP_ID")), tuple);
            ec = e;
            diag = info.diag;
            if (!ec) {
                std::cout << info.name << "\n";
                for (auto& n : info.nodes)
                    std::cout << "  --input " << n.node_id << ":" << n.field_name << "="
                              << boost::json::serialize(n.field_value) << "   (" << n.node_name << ", " << n.field_type
                              << (n.description_en.empty() ? "" : ", " + n.description_en) << ")\n";
            }
        } else if (a.command == "upload") {
            rh::upload_file f(std::filesystem::path(one_arg("FILE")));
            // (No co_await inside ?: — g++ 12 miscompiles it.)
            std::tuple<rh::error_code, rh::uploaded_file> r;
            if (!a.lora_name.empty())
                r = co_await c.upload_lora(f, a.lora_name, tuple);
            else if (!a.legacy_type.empty())
                r = co_await c.legacy_upload(f, a.legacy_type, tuple);
            else
                r = co_await c.upload(f, tuple);
            auto& [e, up] = r;
            ec = e;
            diag = up.diag;
            if (!ec)
                std::cout << "fileName " << up.file_name << "\n"
                          << (up.download_url.empty() ? "" : "download_url " + up.download_url + "\n") << "size "
                          << up.size << " md5 " << up.md5 << "\n";
        } else if (a.command == "download") {
            auto [qe, task] = co_await c.query(one_arg("TASK_ID"), tuple);
            ec = qe;
            diag = task.diag;
            if (!ec && task.status != rh::task_status::success) {
                std::cerr << "runninghub download: the task is " << rh::to_string(task.status) << "\n";
                co_return;
            }
            for (auto& r : task.results) {
                if (ec)
                    break;
                rh::download_options o;
                std::uint64_t shown = 0;
                auto show = [&](std::uint64_t done, std::optional<std::uint64_t> total) {
                    if (done - shown < (8u << 20) && (!total || done != *total))
                        return;
                    shown = done;
                    std::cerr << "\r  " << done / 1024 << " KiB" << (total ? " of " + std::to_string(*total / 1024) + " KiB" : "")
                              << std::flush;
                };
                if (::isatty(STDERR_FILENO))  // progress on a terminal only
                    o.progress = show;
                auto [de, d] = co_await c.download(r, std::filesystem::path(a.dir), o, tuple);
                ec = de;
                diag = d.diag;
                if (!ec && o.progress)
                    std::cerr << "\r";
                if (!ec)
                    std::cout << d.path.string() << " " << d.bytes << " bytes" << (d.checksum_verified ? ", MD5 verified" : "")
                              << (d.resumes ? ", resumed " + std::to_string(d.resumes) + "x" : "") << "\n";
            }
        } else {
            auto id = one_arg("TASK_ID");
            std::tuple<rh::error_code, rh::task> r;
            if (a.command == "cancel")
                r = co_await c.cancel(id, tuple);
            else if (a.command == "outputs")
                r = co_await c.legacy_outputs(id, tuple);
            else
                r = co_await c.legacy_status(id, tuple);
            auto& [e, task] = r;
            ec = e;
            diag = task.diag;
            if (!ec)
                a.command == "cancel" ? void(std::cout << "cancelled " << id << "\n") : print_task(task);
        }
        if (ec)
            std::cerr << "runninghub " << a.command << ": " << describe(ec, diag) << "\n";
        rc = ec ? 1 : 0;
    }, [](std::exception_ptr ep) { if (ep) std::rethrow_exception(ep); });
    io.run();
    return rc;
}

} // namespace

int main(int argc, char** argv) {
    try {
        auto a = parse_args(argc, argv);
        if (a.command == "batch")
            return batch(a);
        if (a.command == "run" || a.command == "query" || a.command == "wait")
            return single(a);
        if (a.command == "emulator")
            return serve_emulator(a);
        for (const char* c : {"cancel", "outputs", "status", "download", "upload", "account", "app"})
            if (a.command == c)
                return endpoint(a);
        if (a.command == "help" || a.command == "--help" || a.command == "-h") {
            std::cout << usage_text;
            return 0;
        }
        throw usage_error("unknown command \"" + a.command + "\"");
    } catch (const usage_error& e) {
        std::cerr << "runninghub: " << e.what() << "\n" << usage_text;
        return 2;
    } catch (const rh::error& e) {
        std::cerr << "runninghub: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "runninghub: " << e.what() << "\n";
        return 1;
    }
}
