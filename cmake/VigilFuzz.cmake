# vigil_add_fuzzer(<name> <source> <corpus_dir> [LIBS...])
#
# Every parser of untrusted bytes gets a libFuzzer target plus a replay driver:
#   - with VIGIL_FUZZ=ON (clang): <name>, linked with -fsanitize=fuzzer;
#     run it as `<name> <corpus_dir>`.
#   - with VIGIL_BUILD_TESTS=ON (any compiler): <name>_replay, the same source linked with
#     a main() that runs LLVMFuzzerTestOneInput over every file of the directories it is
#     given, registered as the CTest test <component>.<name>_replay replaying <corpus_dir>
#     (<component> is the name of the calling folder, e.g. parse).
# The fuzz source defines `extern "C" int LLVMFuzzerTestOneInput(const uint8_t*, size_t)`.
include_guard(GLOBAL)

set(VIGIL_FUZZ_REPLAY_MAIN "${CMAKE_CURRENT_LIST_DIR}/../src/parse/fuzz/replay_main.cpp"
    CACHE FILEPATH "main() that replays a fuzz corpus without libFuzzer")

function(vigil_add_fuzzer name source corpus_dir)
    set(libs ${ARGN})
    get_filename_component(corpus "${corpus_dir}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    get_filename_component(component "${CMAKE_CURRENT_SOURCE_DIR}" NAME)

    if(VIGIL_FUZZ)
        if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
            add_executable(${name} ${source})
            target_link_libraries(${name} PRIVATE ${libs})
            target_link_options(${name} PRIVATE -fsanitize=fuzzer)
        else()
            message(WARNING "VIGIL_FUZZ needs clang; not building fuzzer ${name}")
        endif()
    endif()

    if(VIGIL_BUILD_TESTS)
        add_executable(${name}_replay ${source} ${VIGIL_FUZZ_REPLAY_MAIN})
        target_link_libraries(${name}_replay PRIVATE ${libs})
        add_test(NAME ${component}.${name}_replay COMMAND ${name}_replay "${corpus}")
    endif()
endfunction()
