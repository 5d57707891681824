// Subcommands of the cadrecode CLI: each registers its options on the app and returns the function that
// runs it. They parse arguments and call the library; nothing else.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace cadrecode::cli {

using Runner = std::function<int()>;

Runner add_run_command(CLI::App& app);
Runner add_check_command(CLI::App& app);
Runner add_eval_command(CLI::App& app);
Runner add_convert_deepcad_command(CLI::App& app);

// Exit codes shared by every subcommand.
constexpr int kExitOk = 0;
constexpr int kExitInvalid = 1;  // the input was processed and found invalid
constexpr int kExitError = 2;    // bad usage, unreadable input, unwritable output

}  // namespace cadrecode::cli
