// SPDX-License-Identifier: BSL-1.0
// runninghub: the command-line tool. One row of the table per command: its
// name, usage line, flags and function. Without RUNNINGHUB_API_KEY every
// command talks to an embedded emulator.
#include "cli.hpp"

#include <runninghub/version.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <sstream>

#ifndef RUNNINGHUB_VERSION
#define RUNNINGHUB_VERSION "unknown"
#endif

using namespace rhcli;

namespace {

struct command {
    const char* name;
    const char* usage;    // its arguments, as the overview shows them
    const char* summary;  // what it does
    void (*flags)(CLI::App&, args&);
    int (*run)(const args&);
};

const command commands[] = {
    {"batch",
     "--jobs FILE --out FILE | --count N [--app ID | --workflow ID] [--input NODE:FIELD=VALUE]...\n"
     "        [--download DIR] [--journal FILE] [--concurrency N|auto] [--cancel-on-interrupt]\n"
     "        [--progress] [--job-timeout SECONDS] [--timeout SECONDS]",
     "run every job of a JSON Lines jobs file (or N copies of one job: without --jobs and without\n"
     "RUNNINGHUB_API_KEY, 200 against the embedded emulator), uploading their files, waiting for\n"
     "them, downloading their results; one JSON line per job in --out as each ends. --journal\n"
     "(default <out>.journal) makes it crash-safe: run the same command again and it resumes\n"
     "(nothing paid for twice, missing downloads fetched). Ctrl-C stops submitting and waits for\n"
     "accepted tasks (or cancels them, --cancel-on-interrupt); again: stop at once. Exit 0 every\n"
     "job succeeded, 1 a job failed or is in doubt, 2 usage, 130 interrupted",
     batch_flags, batch},
    {"run", "(--app ID | --workflow ID) [--input NODE:FIELD=VALUE]...", "submit one task, print its id",
     target_flags, run_task},
    {"query", "TASK_ID", "print the task once", task_id_flags, query_task},
    {"wait", "TASK_ID [--timeout SECONDS]", "poll until the task ends", wait_flags, wait_task},
    {"cancel", "TASK_ID", "cancel the task (legacy endpoint); an ended task is said so (exit 1)", task_id_flags,
     cancel_task},
    {"status", "TASK_ID", "the task's status (legacy endpoint)", task_id_flags, task_status},
    {"outputs", "TASK_ID", "the task's outputs (legacy endpoint)", task_id_flags, task_outputs},
    {"download", "TASK_ID [--dir DIR]", "download the task's result files into DIR (created) as\n<taskId>-<nodeId>-<index>.<ext> (resumable, verified)", download_flags,
     download},
    {"upload", "FILE [--legacy TYPE | --lora NAME]",
     "upload (v2; legacy fileType image|video|audio|input; LoRA)", upload_flags, upload},
    {"account", "", "the account's coins and running tasks", no_flags, account},
    {"app", "APP_ID", "an AI app's inputs and their defaults (apiCallDemo)", app_flags, app_details},
    {"emulator", "[--port P] [--threads N] [--plain] [--ca-out FILE] [--url-out FILE] [--run-ms MS]\n"
                 "         [--concurrency-limit N] [--over-limit-code C]",
     "serve the RunningHub emulator on 127.0.0.1 until interrupted", serve_flags, serve},
};

const char* environment =
    "Environment: RUNNINGHUB_API_KEY (unset: an embedded emulator is used, unless RUNNINGHUB_BASE_URL\n"
    "is set: then an error), RUNNINGHUB_BASE_URL,\n"
    "RUNNINGHUB_CA_FILE, RUNNINGHUB_APP_ID, RUNNINGHUB_LOG. --input values are JSON when they parse\n"
    "as JSON, else strings. `runninghub COMMAND --help` shows a command's flags.\n";

/// The overview: every command with its usage line and what it does.
std::string overview() {
    std::ostringstream s;
    s << "usage: runninghub <command> [options]   (runninghub --version, runninghub <command> --help)\n";
    for (auto& c : commands) {
        s << "  " << c.name << (*c.usage ? " " : "") << c.usage << "\n";
        std::istringstream lines(c.summary);
        for (std::string line; std::getline(lines, line);)
            s << "        " << line << "\n";
    }
    return s.str() + environment;
}

const command* find(std::string_view name) {
    for (auto& c : commands)
        if (name == c.name)
            return &c;
    return nullptr;
}

/// The usage error's message, then where to read more: exit 2.
int usage(const std::string& what, const command* cmd) {
    std::cerr << "runninghub: " << what << "\n";
    if (cmd)
        std::cerr << "usage: runninghub " << cmd->name << (*cmd->usage ? " " : "") << cmd->usage << "\n"
                  << "(runninghub " << cmd->name << " --help for more)\n";
    else
        std::cerr << overview();
    return 2;
}

int dispatch(int argc, char** argv) {
    CLI::App cli("runninghub: RunningHub tasks from the command line", "runninghub");
    cli.set_version_flag("--version", "runninghub " RUNNINGHUB_VERSION);
    cli.require_subcommand(1);
    args a;
    std::vector<std::pair<CLI::App*, const command*>> subs;
    for (auto& c : commands) {
        auto* sub = cli.add_subcommand(c.name, c.summary);
        sub->group("");  // listed by the overview, with their usage lines
        c.flags(*sub, a);
        subs.emplace_back(sub, &c);
    }
    cli.footer(overview());  // after the commands: they would inherit it
    if (argc < 2)
        return usage("no command", nullptr);
    // Named here, before the parser calls it an unexpected argument.
    if (argv[1][0] != '-' && !find(argv[1]) && std::string_view(argv[1]) != "help")
        return usage("unknown command \"" + std::string(argv[1]) + "\"", nullptr);
    if (std::string_view(argv[1]) == "help") {
        std::cout << cli.help();
        return 0;
    }
    const command* selected = nullptr;
    try {
        cli.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0)
            return cli.exit(e);  // --help, --version
        for (auto& [sub, c] : subs)
            if (sub->parsed())
                selected = c;
        return usage(e.what(), selected);
    }
    for (auto& [sub, c] : subs)
        if (sub->parsed())
            selected = c;
    a.command = selected->name;
    try {
        return selected->run(a);
    } catch (const usage_error& e) {
        return usage(e.what(), selected);
    }
}

} // namespace

int main(int argc, char** argv) {
    try {
        return dispatch(argc, argv);
    } catch (const runninghub::error& e) {
        std::cerr << "runninghub: " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "runninghub: " << e.what() << "\n";
        return 1;
    }
}
