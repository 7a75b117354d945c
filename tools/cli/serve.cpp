// SPDX-License-Identifier: BSL-1.0
// The emulator as a standalone service on 127.0.0.1, until SIGINT or SIGTERM.
#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <iostream>

namespace rhcli {

void serve_flags(CLI::App& cmd, args& a) {
    cmd.add_option("--port", a.port, "the port (default: any free one)")->type_name("P")->check(CLI::Range(1, 65535));
    cmd.add_option("--threads", a.threads, "threads serving requests")
        ->type_name("N")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str();
    cmd.add_flag("--plain", a.plain, "plain HTTP instead of HTTPS");
    cmd.add_option("--ca-out", a.ca_out, "write the emulator's CA certificate (PEM) here")->type_name("FILE");
    cmd.add_option("--url-out", a.url_out, "write the emulator's base URL here once it listens")->type_name("FILE");
    cmd.add_option("--run-ms", a.run_ms, "how long each task runs, in milliseconds")
        ->type_name("MS")
        ->check(CLI::Range(1, 10'000'000));
    cmd.add_option("--failure-rate", a.failure_rate, "the share of tasks that end FAILED (0 to 1)")
        ->type_name("P")
        ->check(CLI::Range(0.0, 1.0));
    cmd.add_option("--concurrency-limit", a.concurrency_limit, "tasks the key may run at once (0: unlimited)")
        ->type_name("N");
    cmd.add_option("--over-limit-code", a.over_limit_code, "the answer beyond the limit: 421, 804, 415, 814 or 1520")
        ->type_name("C")
        ->check(CLI::IsMember({421, 804, 415, 814, 1520}))
        ->capture_default_str();
    cmd.add_option("--fault", a.faults, "inject a fault (repeatable): KIND[:PROBABILITY[:PATH[:COUNT]]], e.g. "
                                        "drop_after_processing:0.1:/run/ (KIND as in runninghub::fault_kind)")
        ->type_name("SPEC");
}

namespace {

/// KIND[:PROBABILITY[:PATH[:COUNT]]] as a fault; a usage error names what is wrong.
rh::fault fault_of(const std::string& spec) {
    std::vector<std::string> parts;
    for (std::size_t from = 0;;) {
        auto colon = spec.find(':', from);
        parts.push_back(spec.substr(from, colon - from));
        if (colon == std::string::npos)
            break;
        from = colon + 1;
    }
    auto bad = [&](const std::string& why) { return usage_error("--fault \"" + spec + "\": " + why); };
    if (parts.size() > 4)
        throw bad("takes KIND[:PROBABILITY[:PATH[:COUNT]]]");
    std::optional<rh::fault_kind> kind;
    std::string kinds;
    for (int k = 0; k <= static_cast<int>(rh::fault_kind::early_hints); ++k) {
        auto name = rh::to_string(static_cast<rh::fault_kind>(k));
        kinds += (k ? ", " : "") + std::string(name);
        if (name == parts[0])
            kind = static_cast<rh::fault_kind>(k);
    }
    if (!kind)
        throw bad("no fault kind \"" + parts[0] + "\" (one of " + kinds + ")");
    rh::fault f{*kind};
    if (parts.size() > 1) {
        char* end = nullptr;
        f.probability = std::strtod(parts[1].c_str(), &end);
        if (parts[1].empty() || *end || !(f.probability >= 0 && f.probability <= 1))
            throw bad("the probability must be a number from 0 to 1, not \"" + parts[1] + "\"");
    }
    if (parts.size() > 2)
        f.path_filter = parts[2];
    if (parts.size() > 3) {
        char* end = nullptr;
        f.max_count = std::strtoull(parts[3].c_str(), &end, 10);
        if (parts[3].empty() || !std::isdigit(static_cast<unsigned char>(parts[3][0])) || *end)
            throw bad("the count must be a whole number, not \"" + parts[3] + "\"");
    }
    return f;
}

} // namespace

int serve(const args& a) {
    rh::emulator_options eo;
    eo.port = a.port;
    eo.threads = a.threads;
    eo.tls = !a.plain;
    eo.concurrency_limit = a.concurrency_limit;
    eo.over_limit_code = a.over_limit_code;
    eo.failure_rate = a.failure_rate;
    if (a.run_ms)
        eo.run_time = std::chrono::milliseconds(a.run_ms);
    std::vector<rh::fault> faults;
    for (auto& spec : a.faults)
        faults.push_back(fault_of(spec));
    rh::emulator emu(eo);
    emu.set_faults(std::move(faults));
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
    std::cout << "emulator: " << c.total_requests() << " requests, " << c.tasks_created << " tasks";
    for (auto& [kind, n] : c.faults)
        std::cout << ", " << kind << " " << n;
    std::cout << "\n";
    return 0;
}

} // namespace rhcli
