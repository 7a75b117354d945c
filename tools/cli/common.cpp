// SPDX-License-Identifier: BSL-1.0
// What the commands share: the target (service or embedded emulator), a
// client run to completion, printing, and the flags several commands take.
#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstdlib>
#include <iostream>
#include <sstream>

namespace rhcli {

using namespace std::chrono_literals;

namespace {

/// Why `v` is not NODE:FIELD=VALUE (empty: it is).
std::string input_error(const std::string& v) {
    auto colon = v.find(':');
    auto eq = v.find('=', colon == std::string::npos ? 0 : colon);
    if (colon == std::string::npos || eq == std::string::npos || colon == 0 || eq == colon + 1)
        return "takes NODE:FIELD=VALUE, not \"" + v + "\"";
    return {};
}

/// A checked NODE:FIELD=VALUE; the value is JSON when it parses as a JSON scalar, else a string.
rh::node_input parse_input(const std::string& v) {
    auto colon = v.find(':');
    auto eq = v.find('=', colon);
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

} // namespace

target make_target(const args& a, bool needs_app) {
    target t;
    for (auto& v : a.inputs)
        t.inputs.push_back(parse_input(v));
    t.app = a.app;
    t.workflow = a.workflow;
    if (!std::getenv("RUNNINGHUB_API_KEY") && std::getenv("RUNNINGHUB_BASE_URL"))
        throw usage_error("RUNNINGHUB_BASE_URL is set but RUNNINGHUB_API_KEY is not: set the key (or unset the URL "
                          "to use the embedded emulator)");
    if (std::getenv("RUNNINGHUB_API_KEY")) {
        t.opts = rh::client_options::from_env();
        if (t.app.empty() && t.workflow.empty())
            if (const char* id = std::getenv("RUNNINGHUB_APP_ID"); id && *id)
                t.app = id;
        if (t.app.empty() && t.workflow.empty() && needs_app)
            throw usage_error("with RUNNINGHUB_API_KEY set, give --app ID (or RUNNINGHUB_APP_ID) or --workflow ID, "
                              "and its --input values");
    } else {
        rh::emulator_options eo;
        eo.run_time = 300ms;
        eo.queue_time = 100ms;
        t.emu = std::make_unique<rh::emulator>(eo);
        t.opts = t.emu->make_client_options();
        t.opts.poll.first_delay = 300ms;
        t.opts.poll.interval = 100ms;
        t.opts.poll.cap = 1s;
        if (t.app.empty() && t.workflow.empty())
            t.app = eo.ai_apps.front();
        if (t.inputs.empty())
            t.inputs.push_back({"9", "text", "a cat in a hat"});
        std::cerr << "runninghub: RUNNINGHUB_API_KEY is not set: using the embedded emulator at " << t.emu->base_url()
                  << "\n";
    }
    t.opts.log_threshold = std::getenv("RUNNINGHUB_LOG") ? rh::log_level::debug : rh::log_level::warning;
    t.opts.logger = [](rh::log_level, std::string_view line) { std::cerr << "runninghub: " << line << "\n"; };
    return t;
}

int with_client(const args& a, bool needs_app, client_body body) {
    auto t = make_target(a, needs_app);
    asio::io_context io;
    rh::client c(io.get_executor(), t.opts);
    int rc = 1;
    asio::co_spawn(io, body(c, t), [&](std::exception_ptr ep, int r) {
        if (ep)
            std::rethrow_exception(ep);
        rc = r;
    });
    io.run();
    return rc;
}

std::string describe(const rh::error_code& ec, const rh::diagnostics& d) {
    std::string s = ec.message();
    if (auto more = d.to_string(); !more.empty())
        s += " [" + more + "]";
    return s;
}

int report(const args& a, const rh::error_code& ec, const rh::diagnostics& d) {
    if (!ec)
        return 0;
    std::cerr << "runninghub " << a.command << ": " << describe(ec, d) << "\n";
    return 1;
}

void print_task(const rh::task& t) {
    std::cout << "task " << t.id << " " << rh::to_string(t.status);
    if (!t.error_code.empty())
        std::cout << " errorCode=" << t.error_code << " (" << t.error_message << ")";
    std::cout << "\n";
    print_failure(std::cout, t.failed_reason, true);
    for (auto& r : t.results)
        std::cout << "  result node " << r.node_id << " [" << r.output_type << "] " << (r.text ? *r.text : r.url)
                  << "\n";
}

void print_failure(std::ostream& out, const rh::task_failure& f, bool traceback) {
    if (f.empty())
        return;
    out << "  failedReason: " << to_string(f) << "\n";
    if (auto tb = f.traceback(); traceback && !tb.empty() && tb != "[]") {
        out << "  traceback:\n";
        std::istringstream lines(tb);
        for (std::string line; std::getline(lines, line);)
            out << "    " << line << "\n";
    }
}

rh::duration timeout_of(const args& a) {
    return std::chrono::duration_cast<rh::duration>(std::chrono::duration<double>(a.timeout_s));
}

void target_flags(CLI::App& cmd, args& a) {
    auto* app = cmd.add_option("--app", a.app, "the AI app's id (default: RUNNINGHUB_APP_ID)")->type_name("ID");
    auto* wf = cmd.add_option("--workflow", a.workflow, "the workflow's id")->type_name("ID");
    app->excludes(wf);
    cmd.add_option("--input", a.inputs, "a node input NODE:FIELD=VALUE (VALUE is JSON when it parses as JSON)")
        ->type_name("NODE:FIELD=VALUE")
        ->allow_extra_args(false)
        ->check(input_error);
}

void timeout_flag(CLI::App& cmd, args& a, const std::string& what) {
    cmd.add_option("--timeout", a.timeout_s, what)
        ->type_name("SECONDS")
        ->check([](const std::string& v) -> std::string {
            char* end = nullptr;
            double s = std::strtod(v.c_str(), &end);
            return *end || !(s > 0) ? "takes a positive number of seconds, not \"" + v + "\"" : "";
        })
        ->capture_default_str();
}

void task_id_flags(CLI::App& cmd, args& a) { cmd.add_option("TASK_ID", a.id, "the task's id")->required(); }

void no_flags(CLI::App&, args&) {}

} // namespace rhcli
