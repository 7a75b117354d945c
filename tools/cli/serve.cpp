// The emulator as a standalone service on 127.0.0.1, until SIGINT or SIGTERM.
#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <fstream>
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
    cmd.add_option("--concurrency-limit", a.concurrency_limit, "tasks the key may run at once (0: unlimited)")
        ->type_name("N");
    cmd.add_option("--over-limit-code", a.over_limit_code, "the answer beyond the limit: 421, 804, 415, 814 or 1520")
        ->type_name("C")
        ->check(CLI::IsMember({421, 804, 415, 814, 1520}))
        ->capture_default_str();
}

int serve(const args& a) {
    rh::emulator_options eo;
    eo.port = a.port;
    eo.threads = a.threads;
    eo.tls = !a.plain;
    eo.concurrency_limit = a.concurrency_limit;
    eo.over_limit_code = a.over_limit_code;
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

} // namespace rhcli
