// SPDX-License-Identifier: BSL-1.0
// The client's log lines into spdlog, and its statistics exported in the
// Prometheus text format (what a /metrics endpoint would serve). Log lines
// never hold the API key.
#include "service.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>
#include <sstream>

namespace asio = boost::asio;
namespace rh = runninghub;

rh::log_function to_spdlog(std::shared_ptr<spdlog::logger> logger) {
    return [logger = std::move(logger)](rh::log_level level, std::string_view line) {
        static constexpr spdlog::level::level_enum levels[] = {spdlog::level::debug, spdlog::level::info,
                                                               spdlog::level::warn, spdlog::level::err};
        logger->log(levels[static_cast<int>(level)], line);
    };
}

std::string prometheus(const rh::client_stats& s) {
    std::ostringstream out;
    auto counter = [&](const char* name, std::uint64_t v) { out << "runninghub_" << name << " " << v << "\n"; };
    counter("submits_accepted_total", s.submits_accepted);
    counter("submits_rejected_total", s.submits_rejected);
    counter("submits_unknown_total", s.submits_unknown);
    counter("queries_total", s.queries);
    counter("http_requests_total", s.pool.requests);
    counter("connections_opened_total", s.pool.opened);
    counter("waits_pending", s.waits_pending);
    out << "runninghub_submit_window " << s.throttle.window << "\n";
    for (auto& [endpoint, e] : s.endpoints)
        out << "runninghub_endpoint_calls_total{endpoint=\"" << endpoint << "\",result=\"ok\"} " << e.ok << "\n";
    // A latency histogram: cumulative buckets, as Prometheus wants them.
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i + 1 < rh::latency_histogram::buckets && cumulative < s.task_latency.count; ++i) {
        cumulative += s.task_latency.counts[i];
        out << "runninghub_task_seconds_bucket{le=\"" << rh::latency_histogram::upper_bound(i).count() / 1e6 << "\"} "
            << cumulative << "\n";
    }
    out << "runninghub_task_seconds_count " << s.task_latency.count << "\n"
        << "runninghub_task_seconds_sum " << s.task_latency.sum.count() / 1e6 << "\n";
    return out.str();
}

int main() {
    examples::service svc;
    auto logger = spdlog::stdout_color_mt("runninghub");
    logger->set_level(spdlog::level::debug);
    svc.options.logger = to_spdlog(logger);
    svc.options.log_threshold = rh::log_level::debug;
    asio::io_context io;
    rh::client client(io.get_executor(), svc.options);
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        for (const char* prompt : {"a kite", "a boat", "a tent"}) {
            std::vector<rh::node_input> in{{"9", "text", prompt}};
            auto t = co_await client.run(rh::ai_app("1877265245566922753"), std::move(in));
            co_await client.wait(t.id);
        }
    }, asio::detached);
    io.run();
    auto text = prometheus(client.stats());
    std::cout << text;
    return text.find("runninghub_submits_accepted_total 3") != std::string::npos ? 0 : 1;
}
