// What both executables share: parsing and dispatch, and starting cadrecode-ml from cadrecode.
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <stdexcept>

#include "commands.h"

namespace cadrecode::cli {

void check_output_folder(const std::string& path, const std::string& what) {
    if (path.empty()) return;
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    if (!parent.empty() && !std::filesystem::is_directory(parent))
        throw std::runtime_error(path + ": the folder of the " + what + " (" + parent.string() +
                                 ") does not exist; create it first");
}

void check_report_path(const std::string& path, const std::string& what) {
    check_output_folder(path, what);
    // `check --json a.py b.py` takes a.py as the report's path: refuse to overwrite a program with the report.
    if (!path.empty() && std::filesystem::path(path).extension() == ".py" && std::filesystem::exists(path))
        throw std::runtime_error(path + ": refusing to write the " + what + " over a program; --json takes the " +
                                 "report's own path (e.g. --json report.json) before or after the inputs");
}

int run_app(CLI::App& app, const std::vector<Runner>& runners, int argc, char** argv) {
    // A mistyped command: CLI11 would say only "A subcommand is required".
    if (argc > 1 && argv[1][0] != '-') {
        std::string names;
        bool known = false;
        for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
            known = known || sub->get_name() == argv[1];
            names += (names.empty() ? "" : ", ") + sub->get_name();
        }
        if (!known) {
            std::fprintf(stderr, "cadrecode: error: unknown command '%s'; the commands are %s (cadrecode --help)\n",
                         argv[1], names.c_str());
            return kExitError;
        }
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        const int rc = app.exit(e);
        return rc == 0 ? 0 : kExitError;
    }
    try {
        for (const auto& r : runners)
            if (int rc = r(); rc >= 0) return rc;  // each runner returns -1 unless its subcommand was given
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cadrecode: error: %s\n", e.what());
        return kExitError;
    }
    return kExitOk;
}

std::string ml_tool_path() {
    std::error_code ec;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
    return ((ec ? std::filesystem::path(".") : self.parent_path()) / "cadrecode-ml").string();
}

int run_ml_tool(const std::vector<std::string>& args) {
    const std::string tool = ml_tool_path();
    if (!std::filesystem::exists(tool))
        throw std::runtime_error("the model tools, cadrecode-ml, are not beside this executable (expected " + tool +
                                 "). Copy or install both together (cmake --install); a build without libtorch has "
                                 "none (Debian: libtorch-dev; scripts/setup-debian.sh installs it)");
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(tool.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error(std::string("cannot start ") + tool + ": " + std::strerror(errno));
    if (pid == 0) {
        execv(tool.c_str(), argv.data());
        std::fprintf(stderr, "cadrecode: error: cannot run %s: %s\n", tool.c_str(), std::strerror(errno));
        _exit(kExitError);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) throw std::runtime_error(std::string("waiting for ") + tool + ": " + std::strerror(errno));
    return WIFEXITED(status) ? WEXITSTATUS(status) : kExitError;
}

}  // namespace cadrecode::cli
