// SPDX-License-Identifier: BSL-1.0
#pragma once
// runninghub::batch_journal: a crash-safe record of a batch of paid submits.
//
// One JSON line per event, appended and made durable (fdatasync) before the
// call returns. Before a submit goes out its index is journalled as
// "submitting": after a crash, a submit that may have created a task is known
// ("in doubt") and is never repeated blindly; accepted tasks keep their ids and
// are waited for instead of submitted again; each result file downloaded is
// recorded, so a resumed batch fetches only the missing ones. Every line
// carries a CRC-32: a torn last line (a crash in the middle of a write, so its
// event never happened) is removed on replay; any other damaged line stops the
// replay with errc::file_error naming the line, never a silent fresh start.

#include <runninghub/error.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace runninghub {

class RUNNINGHUB_EXPORT batch_journal {
public:
    enum class state {
        pending,   // never submitted, or certainly not created (a rejected submit may go again)
        in_doubt,  // a submit went out and no answer was journalled: the task may exist
        accepted,  // the service accepted it: task_id
        ended,     // the task ended: status (SUCCESS, FAILED, CANCEL …)
    };
    struct item {
        state st = state::pending;
        std::string task_id;
        std::string status;
        std::map<std::size_t, std::uint64_t> downloaded;  // result index -> bytes of the verified file
    };

    /// Opens or creates `file` and replays it. `batch` identifies the batch
    /// (app, inputs, count …): a journal written for another batch, or for
    /// fewer items, is refused with errc::invalid_options, as is a file that
    /// another run has open (it is locked for the journal's life); a file that
    /// cannot be opened or written, or a damaged line, with errc::file_error.
    /// Throws runninghub::error.
    batch_journal(std::filesystem::path file, std::string batch, std::size_t count);
    ~batch_journal();
    batch_journal(const batch_journal&) = delete;
    batch_journal& operator=(const batch_journal&) = delete;

    std::size_t size() const noexcept { return items_.size(); }
    const item& operator[](std::size_t i) const { return items_.at(i); }
    /// Lines of the file dropped on replay (at most a torn last one).
    std::size_t ignored_lines() const noexcept { return ignored_; }
    const std::filesystem::path& path() const noexcept { return file_; }

    // Each appends one line and returns once it is durable; errc::file_error otherwise.
    error_code submitting(std::size_t i);
    error_code accepted(std::size_t i, std::string_view task_id);
    error_code ended(std::size_t i, std::string_view status);
    /// The submit certainly created no task (a rejection or a request that never went out).
    error_code not_created(std::size_t i);
    /// The submit went out and its outcome is unknown (submit_outcome_unknown).
    error_code unknown(std::size_t i);
    /// Result file `file` of item i's task is downloaded, complete and verified.
    error_code downloaded(std::size_t i, std::size_t file, std::uint64_t bytes);

private:
    /// Appends the event durably, then moves item i to `to` (with its task id or status).
    error_code append(std::size_t i, std::string_view event, state to, std::string_view key = {},
                      std::string_view value = {});
    error_code write_line(const std::string& line);

    std::filesystem::path file_;
    int fd_ = -1;
    std::vector<item> items_;
    std::size_t ignored_ = 0;
};

RUNNINGHUB_EXPORT std::string_view to_string(batch_journal::state s) noexcept;

} // namespace runninghub
