"""kernel_build: the shape of Kleaf's kernel_build (docs/bazel.md), small enough to run offline.

One action runs kbuild on a kernel source tarball: unpack, apply the patches, `make tinyconfig`,
merge the config fragment, `make olddefconfig`, `make vmlinux modules`. Its only inputs are the
tarball, the patches, the fragment and kernel_build.sh; the compiler is the host's gcc found on the
fixed PATH of --incompatible_strict_action_env. Outputs, below <name>/ as Kleaf names them:

  vmlinux.unstripped, modules.order, include/config/kernel.release, .config   files
  modules/                           tree artifact, every module at <stem>.ko (modules.order's paths)
  <m> for m in module_outs           single files, like Kleaf's module_outs

The files are predeclared (":<name>/vmlinux.unstripped", ...); the directory is the output group
"modules_dir" (a filegroup with output_group = "modules_dir" names it).
"""

_FILES = {
    "vmlinux_unstripped": "vmlinux.unstripped",
    "modules_order": "modules.order",
    "kernel_release": "include/config/kernel.release",
    "config": ".config",
}

def _outputs(module_outs):
    """Predeclared outputs, so that other targets name them as Kleaf's are named: ":<name>/<path>"."""
    outs = {key: "%{name}/" + path for key, path in _FILES.items()}
    for i, m in enumerate(module_outs):
        outs["module_%d" % i] = "%{name}/" + m
    return outs

def _kernel_build_impl(ctx):
    n = ctx.label.name
    outs = {path: getattr(ctx.outputs, key) for key, path in _FILES.items()}
    modules_dir = ctx.actions.declare_directory(n + "/modules")
    module_outs = [getattr(ctx.outputs, "module_%d" % i) for i in range(len(ctx.attr.module_outs))]
    args = ctx.actions.args()
    args.add("--tarball", ctx.file.tarball)
    args.add("--fragment", ctx.file.config_fragment)
    args.add_all(ctx.files.patches, before_each = "--patch")
    args.add("--out", outs["modules.order"].dirname)
    args.add("--modules-dir", modules_dir.path)
    args.add_all(ctx.attr.module_outs, before_each = "--module-out")
    ctx.actions.run(
        executable = ctx.executable._script,
        arguments = [args],
        inputs = [ctx.file.tarball, ctx.file.config_fragment] + ctx.files.patches,
        outputs = outs.values() + [modules_dir] + module_outs,
        mnemonic = "KernelBuild",
        # PATH=/bin:/usr/bin:/usr/local/bin under --incompatible_strict_action_env: the host gcc, make, ...
        use_default_shell_env = True,
        progress_message = "Building the kernel %s (kbuild, one action)" % ctx.label,
    )
    return [
        DefaultInfo(files = depset(outs.values() + [modules_dir] + module_outs)),
        OutputGroupInfo(modules_dir = depset([modules_dir])),
    ]

kernel_build = rule(
    implementation = _kernel_build_impl,
    outputs = _outputs,
    attrs = {
        "tarball": attr.label(allow_single_file = [".tar.xz"], mandatory = True, doc = "linux-source-*.tar.xz"),
        "patches": attr.label_list(allow_files = [".patch"], doc = "applied in order with patch -p1"),
        "config_fragment": attr.label(allow_single_file = True, mandatory = True, doc = "merged on top of tinyconfig"),
        "module_outs": attr.string_list(doc = "modules (<stem>.ko) also declared one by one, as Kleaf's module_outs"),
        "_script": attr.label(default = "//kbuild:kernel_build.sh", executable = True, cfg = "exec", allow_single_file = True),
    },
)
