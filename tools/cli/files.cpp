// SPDX-License-Identifier: BSL-1.0
// Files: upload (v2, legacy, LoRA) and download of a task's results.
#include "cli.hpp"

#include <runninghub/batch.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <unistd.h>

namespace rhcli {

void upload_flags(CLI::App& cmd, args& a) {
    cmd.add_option("FILE", a.id, "the file to upload")->required();
    auto* legacy = cmd.add_option("--legacy", a.legacy_type, "the legacy endpoint, with this fileType")
                       ->type_name("image|video|audio|input");
    auto* lora = cmd.add_option("--lora", a.lora_name, "upload a LoRA under this name")->type_name("NAME");
    legacy->excludes(lora);
}

int upload(const args& a) {
    return with_client(a, false, [&](rh::client& c, target&) -> asio::awaitable<int> {
        rh::upload_file f{std::filesystem::path(a.id)};
        // (No co_await inside ?: — g++ 12 miscompiles it.)
        std::tuple<rh::error_code, rh::uploaded_file> r;
        if (!a.lora_name.empty())
            r = co_await c.upload_lora(f, a.lora_name, tuple);
        else if (!a.legacy_type.empty())
            r = co_await c.legacy_upload(f, a.legacy_type, tuple);
        else
            r = co_await c.upload(f, tuple);
        auto& [ec, up] = r;
        if (!ec)
            std::cout << "fileName " << up.file_name << "\n"
                      << (up.download_url.empty() ? "" : "download_url " + up.download_url + "\n") << "size "
                      << up.size << " md5 " << up.md5 << "\n";
        co_return report(a, ec, up.diag);
    });
}

void download_flags(CLI::App& cmd, args& a) {
    task_id_flags(cmd, a);
    cmd.add_option("--dir", a.dir, "the directory to write into (created; files named <taskId>-<nodeId>-<index>.<ext>)")->type_name("DIR")->capture_default_str();
}

namespace {

/// Progress on a terminal only: every 8 MiB and at the end.
rh::download_options download_progress() {
    rh::download_options o;
    if (!::isatty(STDERR_FILENO))
        return o;
    o.progress = [shown = std::uint64_t{0}](std::uint64_t done, std::optional<std::uint64_t> total) mutable {
        if (done - shown < (8u << 20) && (!total || done != *total))
            return;
        shown = done;
        std::cerr << "\r  " << done / 1024 << " KiB"
                  << (total ? " of " + std::to_string(*total / 1024) + " KiB" : "") << std::flush;
    };
    return o;
}

} // namespace

int download(const args& a) {
    return with_client(a, false, [&](rh::client& c, target&) -> asio::awaitable<int> {
        auto [ec, task] = co_await c.query(a.id, tuple);
        if (ec)
            co_return report(a, ec, task.diag);
        if (task.status != rh::task_status::success) {
            std::cerr << "runninghub download: the task is " << rh::to_string(task.status) << "\n";
            co_return 1;
        }
        std::error_code mk;
        std::filesystem::create_directories(a.dir, mk);
        if (mk) {
            std::cerr << "runninghub download: cannot create " << a.dir << ": " << mk.message() << "\n";
            co_return 1;
        }
        for (std::size_t k = 0; k < task.results.size(); ++k) {
            auto& r = task.results[k];
            auto o = download_progress();
            bool progress = bool(o.progress);
            // Named like the batch's downloads: results with the same file name never overwrite each other.
            auto path = std::filesystem::path(a.dir) / rh::result_file_name(task.id, r.node_id, k, r.output_type);
            auto [de, d] = co_await c.download(r, path, std::move(o), tuple);
            if (de)
                co_return report(a, de, d.diag);
            if (progress)
                std::cerr << "\r";
            std::cout << d.path.string() << " " << d.bytes << " bytes" << (d.checksum_verified ? ", MD5 verified" : "")
                      << (d.resumes ? ", resumed " + std::to_string(d.resumes) + "x" : "") << "\n";
        }
        co_return 0;
    });
}

} // namespace rhcli
