// SPDX-License-Identifier: BSL-1.0
#pragma once
// The runninghub command-line tool: what its commands share. Each command is
// a row of the table in main.cpp: its flags (bound to `args`) and its function.

#include <runninghub/client.hpp>
#include <runninghub/emulator.hpp>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <functional>
#include <iosfwd>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace rhcli {

namespace asio = boost::asio;
namespace rh = runninghub;
constexpr auto tuple = asio::as_tuple(asio::use_awaitable);

/// A usage error found after parsing: exit 2, like the parser's own.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// Every command's flags and arguments; each command binds the ones it takes.
struct args {
    std::string command;
    std::string id;  // the positional argument: TASK_ID, APP_ID or FILE
    std::size_t count = 0;          // 0: not given (200 on the emulator; required against the service)
    std::string concurrency = "auto";  // N, or auto: many workers, the client's submit gate decides
    std::string jobs, out;          // batch: the jobs file and the results file
    bool cancel_on_interrupt = false;
    bool resubmit_in_doubt = false;
    double job_timeout_s = 0;       // batch: a deadline per job; 0: none
    std::string webhook_listen, webhook_url;  // batch: HOST:PORT for TASK_END callbacks, their public URL
    double adopt_timeout_s = 600;   // batch: how long a lost answer waits for its task's callback
    std::vector<std::string> faults;  // emulator: KIND[:PROBABILITY[:PATH[:COUNT]]]
    std::string app, workflow;
    std::vector<std::string> inputs;  // NODE:FIELD=VALUE, checked by the parser
    double timeout_s = 1800;
    unsigned short port = 0;
    unsigned threads = 1;
    bool plain = false;
    std::string ca_out, url_out;
    std::string dir = ".", legacy_type, lora_name, download_dir, journal;
    bool progress = false;
    std::size_t run_ms = 0;
    double failure_rate = 0;            // emulator: the share of tasks that end FAILED
    std::size_t concurrency_limit = 0;  // emulator: tasks the key may run at once (0: unlimited)
    int over_limit_code = 421;          // emulator: the answer beyond it
};

/// Where commands go: the service (RUNNINGHUB_API_KEY set) or an embedded emulator.
struct target {
    std::unique_ptr<rh::emulator> emu;
    rh::client_options opts;
    std::string app, workflow;
    std::vector<rh::node_input> inputs;
};
/// `needs_app`: the command submits, so the service needs an app or a workflow.
target make_target(const args& a, bool needs_app);

/// Makes the target and a client, runs `body` on it, returns its exit code.
using client_body = std::function<asio::awaitable<int>(rh::client&, target&)>;
int with_client(const args& a, bool needs_app, client_body body);

/// Prints "runninghub <command>: <error> [diagnostics]" when ec is set; the exit code.
int report(const args& a, const rh::error_code& ec, const rh::diagnostics& d);
std::string describe(const rh::error_code& ec, const rh::diagnostics& d);
void print_task(const rh::task& t);
/// A task's failedReason: "  failedReason: node 276 (SONIC_PreData): TypeError: …",
/// then its traceback indented (when `traceback`); nothing when there is none.
void print_failure(std::ostream& out, const rh::task_failure& f, bool traceback = false);
rh::duration timeout_of(const args& a);

// Flags shared by several commands.
void target_flags(CLI::App& cmd, args& a);   // --app | --workflow, --input...
void task_id_flags(CLI::App& cmd, args& a);  // TASK_ID
void timeout_flag(CLI::App& cmd, args& a, const std::string& what);  // --timeout SECONDS
void no_flags(CLI::App& cmd, args& a);

// The commands, by file.
void batch_flags(CLI::App& cmd, args& a);  // batch.cpp
int batch(const args& a);
int run_task(const args& a);  // tasks.cpp
int query_task(const args& a);
void wait_flags(CLI::App& cmd, args& a);
int wait_task(const args& a);
int cancel_task(const args& a);
int task_status(const args& a);
int task_outputs(const args& a);
void upload_flags(CLI::App& cmd, args& a);  // files.cpp
int upload(const args& a);
void download_flags(CLI::App& cmd, args& a);
int download(const args& a);
int account(const args& a);  // info.cpp
void app_flags(CLI::App& cmd, args& a);
int app_details(const args& a);
void serve_flags(CLI::App& cmd, args& a);  // serve.cpp
int serve(const args& a);

} // namespace rhcli
