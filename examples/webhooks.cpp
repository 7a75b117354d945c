// SPDX-License-Identifier: BSL-1.0
// Webhooks on the application's own io_context: a listener for RunningHub's
// TASK_END callbacks, reached from outside through a reverse proxy path, e.g.
//   nginx:  location /runninghub/webhook/ { proxy_pass http://127.0.0.1:8089; }
//   RUNNINGHUB_WEBHOOK_PUBLIC_URL=https://hooks.example.com example_webhooks
// Attached to the client, waits query their task once when its event arrives
// and otherwise poll only at a slow safety interval: about one query per task.
#include "service.hpp"

#include <runninghub/webhook.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <iostream>

namespace asio = boost::asio;
namespace rh = runninghub;

int main() {
    examples::service svc;
    if (!svc.emulator && !std::getenv("RUNNINGHUB_WEBHOOK_PUBLIC_URL")) {
        std::cerr << "set RUNNINGHUB_WEBHOOK_PUBLIC_URL: the address RunningHub can reach this listener at\n";
        return 2;
    }
    asio::io_context io;
    rh::webhook_options wo;
    wo.port = svc.emulator ? 0 : 8089;  // the reverse proxy's upstream
    wo.secret = rh::random_webhook_secret();  // the callback path carries it: other paths answer 404
    if (const char* url = std::getenv("RUNNINGHUB_WEBHOOK_PUBLIC_URL"))
        wo.public_url = url;
    rh::webhook_listener listener(io.get_executor(), wo);
    rh::client client(io.get_executor(), svc.options);
    client.attach(listener);  // run() now sends listener.callback_url() as webhookUrl
    std::cout << "callbacks at " << listener.callback_url() << "\n";

    int tasks = 3;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
        for (int i = 0; i < tasks; ++i) {
            std::vector<rh::node_input> in{{"9", "text", "a paper boat"}};
            auto t = co_await client.run(rh::ai_app("1877265245566922753"), std::move(in));
            auto done = co_await client.wait(t.id);  // wakes on the event, confirms with one query
            std::cout << "task " << done.id << " " << rh::to_string(done.status) << "\n";
        }
        listener.close();  // the listener's accept loop ends; io.run() can return
    }, asio::detached);
    io.run();
    auto s = client.stats();
    std::cout << listener.stats().accepted << " events, " << s.queries << " queries for " << tasks << " tasks\n";
    return s.waits_completed == static_cast<unsigned>(tasks) && listener.stats().accepted == static_cast<unsigned>(tasks)
               ? 0
               : 1;
}
