// SPDX-License-Identifier: BSL-1.0
// bench_waits: memory per pending wait. Starts N waits (default 100000) on one
// task whose first poll is an hour away, measures the RSS they add, then
// cancels all of them and times it.
#include <runninghub/client.hpp>
#include <runninghub/emulator.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <fstream>
#include <iostream>
#include <malloc.h>
#include <unistd.h>

namespace asio = boost::asio;
namespace rh = runninghub;
using namespace std::chrono_literals;

namespace {
double heap_bytes() { return double(mallinfo2().uordblks); }  // live allocations, chunk overhead included

double rss_bytes() {
    std::ifstream f("/proc/self/statm");
    long pages = 0, resident = 0;
    f >> pages >> resident;
    return double(resident) * double(sysconf(_SC_PAGESIZE));
}
} // namespace

int main(int argc, char** argv) {
    std::size_t n = argc > 1 ? std::stoul(argv[1]) : 100000;
    rh::emulator_options eo;
    eo.run_time = 24h;
    rh::emulator emu(eo);
    asio::io_context io(1);
    auto opts = emu.make_client_options();
    opts.poll.first_delay = 1h;
    rh::client c(io.get_executor(), opts);
    std::string id;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        std::vector<rh::node_input> in{{"9", "text", "x"}};
        rh::ai_app app("1877265245566922753");
        id = (co_await c.run(app, std::move(in))).id;
    }, [](std::exception_ptr ep) { if (ep) std::rethrow_exception(ep); });
    io.run();
    io.restart();

    // The signals are the caller's, allocated before the baseline.
    std::vector<asio::cancellation_signal> signals(n);
    malloc_trim(0);
    double before = rss_bytes(), heap_before = heap_bytes(), arena_before = double(mallinfo2().arena);
    std::size_t completed = 0;
    for (std::size_t i = 0; i < n; ++i)
        c.wait(id, {}, asio::bind_cancellation_slot(signals[i].slot(), [&](rh::error_code ec, rh::task) {
                   if (ec == asio::error::operation_aborted)
                       ++completed;
               }));
    io.poll();
    double after = rss_bytes(), heap_after = heap_bytes();
    double arena_after = double(mallinfo2().arena);
    std::cout << "bench_waits: " << n << " pending waits, " << c.stats().waits_pending << " registered\n"
              << "  memory              " << (after - before) / double(n) << " bytes per pending wait ("
              << (after - before) / 1048576.0 << " MiB in all)\n"
              << "  live heap           " << (heap_after - heap_before) / double(n) << " bytes per pending wait\n"
              // The heap's high-water mark: the wait() calls made here, outside io_context::run,
              // are all queued on the strand before the first record exists.
              << "  heap grown          " << (arena_after - arena_before) / double(n) << " bytes per pending wait\n";
    auto t0 = rh::clock::now();
    for (auto& s : signals)
        s.emit(asio::cancellation_type::terminal);
    io.run();
    double ms = std::chrono::duration<double, std::milli>(rh::clock::now() - t0).count();
    std::cout << "  cancel all          " << ms << " ms, " << completed << " completed with operation_aborted, "
              << c.stats().waits_pending << " left\n";
    return completed == n ? 0 : 1;
}
