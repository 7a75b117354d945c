// SPDX-License-Identifier: BSL-1.0
// The batch journal's replay: any file content either replays or is refused
// with runninghub::error naming the problem; never a crash, never a state
// that the content does not hold.
#include <runninghub/journal.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const std::string path =
        (std::filesystem::temp_directory_path() / ("fuzz-journal-" + std::to_string(::getpid()))).string();
    if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
        std::fwrite(data, 1, size, f);
        std::fclose(f);
    }
    try {
        runninghub::batch_journal j(path, "fuzz", 4);
        for (std::size_t i = 0; i < j.size(); ++i)
            if (j[i].st == runninghub::batch_journal::state::accepted && j[i].task_id.empty())
                __builtin_trap();  // an accepted item always has its task id
    } catch (const runninghub::error&) {
    }
    std::remove(path.c_str());
    return 0;
}
