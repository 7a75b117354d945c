// SPDX-License-Identifier: BSL-1.0
// The account and an AI app's inputs.
#include "cli.hpp"

#include <CLI/CLI.hpp>

#include <boost/json/serialize.hpp>

#include <iostream>

namespace rhcli {

int account(const args& a) {
    return with_client(a, false, [&](rh::client& c, target&) -> asio::awaitable<int> {
        auto [ec, acc] = co_await c.account(tuple);
        if (!ec)
            std::cout << "coins " << acc.remain_coins << ", money " << acc.remain_money.value_or("-") << " "
                      << acc.currency.value_or("") << ", tasks running " << acc.current_task_counts << ", type "
                      << acc.api_type << "\n";
        co_return report(a, ec, acc.diag);
    });
}

void app_flags(CLI::App& cmd, args& a) { cmd.add_option("APP_ID", a.id, "the AI app's id")->required(); }

int app_details(const args& a) {
    return with_client(a, false, [&](rh::client& c, target&) -> asio::awaitable<int> {
        auto [ec, info] = co_await c.app_details(rh::ai_app(a.id), tuple);
        if (!ec) {
            // Each input as the --input flag that sets it, ready to copy.
            std::cout << info.name << "\n";
            for (auto& n : info.nodes)
                std::cout << "  --input " << n.node_id << ":" << n.field_name << "="
                          << boost::json::serialize(n.field_value) << "   (" << n.node_name << ", " << n.field_type
                          << (n.description_en.empty() ? "" : ", " + n.description_en) << ")\n";
        }
        co_return report(a, ec, info.diag);
    });
}

} // namespace rhcli
