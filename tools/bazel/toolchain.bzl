"""elfhash_toolchain: which elfhash binary the rules of defs.bzl run (docs/bazel.md).

The rules ask for the toolchain type @elfhash//tools/bazel:toolchain_type. elfhash provides one
toolchain, :elfhash_from_source (//tools:elfhash, built for the execution platform); any project can
declare its own, e.g. around a prebuilt binary (repositories.bzl's elfhash_prebuilt does that).
"""

# As a string (Bazel 4.2.3's rule(toolchains=...) takes no Label), spelled for the repository this
# file is loaded from: "//tools/bazel:toolchain_type" here, "@elfhash//tools/bazel:toolchain_type"
# in a consumer.
TOOLCHAIN_TYPE = str(Label("//tools/bazel:toolchain_type"))

def _elfhash_toolchain_impl(ctx):
    return [platform_common.ToolchainInfo(
        elfhash = ctx.attr.elfhash[DefaultInfo].files_to_run,
    )]

elfhash_toolchain = rule(
    implementation = _elfhash_toolchain_impl,
    attrs = {
        "elfhash": attr.label(
            mandatory = True,
            executable = True,
            allow_single_file = True,
            cfg = "exec",
            doc = "elfhash: a cc_binary (built from source) or a prebuilt executable file.",
        ),
    },
    doc = "Declares an elfhash binary for the toolchain type //tools/bazel:toolchain_type.",
)
