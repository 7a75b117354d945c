// SPDX-License-Identifier: BSL-1.0
// bench_client: drives client.query() with a fixed number of requests in flight
// and reports requests/s, client CPU µs per request (getrusage of the client's
// thread) and peak RSS.
//   bench_client [--requests N] [--concurrency C] [--emulator-threads T]
//                [--url URL --ca-file F --task-id ID]   (default: an embedded emulator)
#include <runninghub/client.hpp>
#include <runninghub/emulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <sys/resource.h>

namespace asio = boost::asio;
namespace rh = runninghub;
using namespace std::chrono_literals;

namespace {

double thread_cpu_us() {
    rusage ru{};
    getrusage(RUSAGE_THREAD, &ru);
    return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

long peak_rss_kb() {
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

} // namespace

int main(int argc, char** argv) {
    std::size_t requests = 20000, concurrency = 32;
    unsigned emu_threads = 1;
    std::string url, ca_file, task_id;
    bool single_threaded = false;
    for (int i = 1; i < argc; i += 2) {
        std::string k = argv[i];
        if (k == "--single-threaded") {
            single_threaded = true;
            --i;
            continue;
        }
        if (i + 1 >= argc) {
            std::cerr << "bench_client: " << k << " needs a value\n";
            return 2;
        }
        std::string v = argv[i + 1];
        if (k == "--requests") requests = std::stoul(v);
        else if (k == "--concurrency") concurrency = std::stoul(v);
        else if (k == "--emulator-threads") emu_threads = static_cast<unsigned>(std::stoul(v));
        else if (k == "--url") url = v;
        else if (k == "--ca-file") ca_file = v;
        else if (k == "--task-id") task_id = v;
        else {
            std::cerr << "bench_client: unknown option " << k << "\n";
            return 2;
        }
    }
    std::unique_ptr<rh::emulator> emu;
    rh::client_options opts;
    if (url.empty()) {
        rh::emulator_options eo;
        eo.threads = emu_threads;
        emu = std::make_unique<rh::emulator>(eo);
        opts = emu->make_client_options();
    } else {
        opts.api_key = std::getenv("RUNNINGHUB_API_KEY") ? std::getenv("RUNNINGHUB_API_KEY") : rh::emulator::default_api_key;
        opts.base_url = url;
        opts.ca_file = ca_file;
    }
    opts.pool.max_connections = concurrency;
    opts.single_threaded = single_threaded;
    asio::io_context io(1);
    rh::client c(io.get_executor(), opts);

    if (task_id.empty()) {
        asio::co_spawn(io, [&]() -> asio::awaitable<void> {
            std::vector<rh::node_input> in{{"9", "text", "bench"}};
            rh::ai_app app("1877265245566922753");
            task_id = (co_await c.run(app, std::move(in))).id;
        }, [](std::exception_ptr ep) { if (ep) std::rethrow_exception(ep); });
        io.run();
        io.restart();
    }
    // Warm the pool: one request per connection.
    std::size_t started = 0, done = 0, failed = 0;
    std::function<void()> next = [&] {
        if (started >= requests)
            return;
        ++started;
        c.query(task_id, [&](rh::error_code ec, rh::task) {
            ++done;
            if (ec) {
                if (++failed == 1)
                    std::cerr << "bench_client: " << ec.message() << "\n";
            }
            next();
        });
    };
    std::size_t warm = concurrency;
    std::swap(requests, warm);
    for (std::size_t i = 0; i < concurrency; ++i)
        next();
    io.run();
    io.restart();
    std::swap(requests, warm);
    started = done = failed = 0;

    auto cpu0 = thread_cpu_us();
    auto t0 = rh::clock::now();
    for (std::size_t i = 0; i < concurrency; ++i)
        next();
    io.run();
    double secs = std::chrono::duration<double>(rh::clock::now() - t0).count();
    double cpu = thread_cpu_us() - cpu0;
    auto s = c.stats();
    std::cout << "bench_client: " << done << " requests (" << failed << " failed), concurrency " << concurrency
              << (single_threaded ? ", single_threaded" : ", internal strand")
              << ", " << (opts.base_url.starts_with("https") ? "HTTPS" : "HTTP") << "\n"
              << "  requests/s          " << done / secs << "\n"
              << "  client CPU          " << cpu / double(done) << " us/request (" << cpu / 1e6 << " s)\n"
              << "  connections opened  " << s.pool.opened << "\n"
              << "  peak RSS            " << peak_rss_kb() / 1024.0 << " MiB (whole process)\n";
    return failed ? 1 : 0;
}
