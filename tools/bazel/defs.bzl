"""Bazel rules that run elfhash on kernel build outputs (docs/bazel.md).

All three take labels, write only declared outputs and run elfhash from the registered toolchain
(toolchain.bzl: //tools/bazel:toolchain_type), with paths relative to the execution root on their
command lines, so they run unchanged in the sandbox, from a remote cache and on remote execution:

  elfhash_seal            objtree inputs -> final vmlinux + modules_install staging tree (elfhash seal)
  elfhash_strip_modules   .ko files -> stripped .ko files (elfhash strip, INSTALL_MOD_STRIP semantics)
  elfhash_module_hashes   modules.order + modules -> 36-byte .module_hashes contents + proofs tree

Modules come as files (`modules`, Kleaf's module_outs) or as directories (`modules_dirs`, tree
artifacts such as Kleaf's unstripped-modules directory or a modules_install staging tree; elfhash_seal
and elfhash_module_hashes only). A file's place in the objtree (the modules.order line "<stem>.o") is
its path below `objtree_root`, which defaults to the directory that holds `modules_order`; where a
directory's modules are looked up is with_objtree.sh's business. A module listed in modules.order but
not given is an error at execution time (elfhash's "module listed on line N of modules.order is
missing").
"""

load(":toolchain.bzl", "TOOLCHAIN_TYPE", _elfhash_toolchain = "elfhash_toolchain")

# Re-exported, so a consumer declaring its own toolchain loads everything from defs.bzl.
elfhash_toolchain = _elfhash_toolchain

def _elfhash(ctx):
    return ctx.toolchains[TOOLCHAIN_TYPE].elfhash

def _root(ctx):
    if ctx.attr.objtree_root:
        return ctx.attr.objtree_root.rstrip("/")
    if not ctx.file.modules_order:
        return ""
    return ctx.file.modules_order.short_path.rpartition("/")[0]

def _stem(ko, root):
    path = ko.short_path
    prefix = root + "/" if root else ""
    if not path.startswith(prefix) or not path.endswith(".ko"):
        fail("%s is not a .ko file below objtree_root '%s'" % (path, root))
    return path[len(prefix):-len(".ko")]

def _objtree_args(ctx, extra = {}):
    """with_objtree.sh's arguments for the rule's modules, modules.order and `extra` (objtree name ->
    File), and the inputs they name."""
    if not ctx.file.modules_order and not ctx.files.modules_dirs:
        fail("give modules_order, or modules_dirs with a modules.order inside")
    if ctx.files.modules and not ctx.file.modules_order:
        fail("modules (files) need modules_order")
    root = _root(ctx)
    args = ctx.actions.args()
    inputs = list(ctx.files.modules) + list(ctx.files.modules_dirs) + extra.values()
    if ctx.file.modules_order:
        args.add("--order", ctx.file.modules_order)
        inputs.append(ctx.file.modules_order)
    for name, f in extra.items():
        args.add("--link", "%s=%s" % (name, f.path))
    for ko in ctx.files.modules:
        args.add("--module", "%s=%s" % (_stem(ko, root), ko.path))
    for d in ctx.files.modules_dirs:
        args.add("--modules-dir", d.path)
    args.add("--")
    args.add(_elfhash(ctx).executable)
    return args, inputs

def _run(ctx, args, inputs, outputs, mnemonic, what):
    ctx.actions.run(
        executable = ctx.executable._with_objtree,
        arguments = [args],
        inputs = inputs,
        tools = [_elfhash(ctx)],
        outputs = outputs,
        mnemonic = mnemonic,
        # PATH only (fixed under --incompatible_strict_action_env): with_objtree.sh needs mktemp, ln, sed.
        use_default_shell_env = True,
        progress_message = "%s for %s" % (what, ctx.label),
    )

_COMMON_ATTRS = {
    "modules": attr.label_list(allow_files = [".ko"], doc = "The modules (.ko) as built, below objtree_root (Kleaf's module_outs)."),
    "modules_dirs": attr.label_list(allow_files = True, doc = "Directories (tree artifacts) of modules: <stem>.ko, lib/modules/*/kernel/<stem>.ko or <basename>.ko; earlier ones win."),
    "modules_order": attr.label(allow_single_file = True, doc = "kbuild's modules.order (\"<stem>.o\" lines, or modules_install's \"kernel/<stem>.ko\"); default: the one in the first of modules_dirs."),
    "objtree_root": attr.string(doc = "Workspace-relative directory the modules.order lines are relative to; default: the directory of modules_order."),
    "_with_objtree": attr.label(default = Label("//tools/bazel:with_objtree.sh"), executable = True, allow_single_file = True, cfg = "exec"),
}

def _seal_impl(ctx):
    staging = ctx.actions.declare_directory(ctx.label.name + "/staging")
    vmlinux = ctx.actions.declare_file(ctx.label.name + "/vmlinux")
    extra = {"vmlinux.unstripped": ctx.file.vmlinux_unstripped}
    if ctx.file.kernel_release_file:
        extra["include/config/kernel.release"] = ctx.file.kernel_release_file
    args, inputs = _objtree_args(ctx, extra)
    args.add_all(["seal", "--objtree", "@OBJTREE@", "--out", staging.path, "--vmlinux-out", vmlinux.path])
    if ctx.attr.kernel_release:
        args.add("--kernel-release", ctx.attr.kernel_release)
    if ctx.attr.install_mod_strip:
        args.add("--install-mod-strip=" + ctx.attr.install_mod_strip)
    if ctx.attr.compress:
        args.add("--compress", ctx.attr.compress)
    _run(ctx, args, inputs, [staging, vmlinux], "ElfhashSeal", "Sealing vmlinux and modules")
    return [
        DefaultInfo(files = depset([vmlinux, staging]), runfiles = ctx.runfiles(files = [vmlinux, staging])),
        # For image rules that take one directory (initramfs, *_dlkm images): lib/modules/<release>/.
        OutputGroupInfo(staging = depset([staging]), vmlinux = depset([vmlinux])),
    ]

elfhash_seal = rule(
    toolchains = [TOOLCHAIN_TYPE],
    implementation = _seal_impl,
    doc = "elfhash seal: <name>/vmlinux (objcopy_vmlinux + .module_hashes) and the tree artifact " +
          "<name>/staging (lib/modules/<release>/kernel/<stem>.ko with proofs, modules.order).",
    attrs = dict(_COMMON_ATTRS, **{
        "vmlinux_unstripped": attr.label(allow_single_file = True, mandatory = True, doc = "vmlinux.unstripped with the 36-byte .module_hashes placeholder."),
        "kernel_release": attr.string(doc = "lib/modules/<release>; else kernel_release_file, else the vmlinux banner."),
        "kernel_release_file": attr.label(allow_single_file = True, doc = "include/config/kernel.release."),
        "install_mod_strip": attr.string(doc = "INSTALL_MOD_STRIP: \"1\" (--strip-debug), strip options, or \"\" (no strip)."),
        "compress": attr.string(default = "", values = ["", "xz", "zstd"], doc = "CONFIG_MODULE_COMPRESS_*: modules become <stem>.ko.xz/.ko.zst."),
    }),
)

def _strip_impl(ctx):
    if ctx.files.modules_dirs:
        fail("elfhash_strip_modules takes modules (files), not modules_dirs")
    root = _root(ctx)
    outs = []
    for ko in ctx.files.modules:
        out = ctx.actions.declare_file(ctx.label.name + "/" + _stem(ko, root) + ".ko")
        args = ctx.actions.args()
        args.add("strip")
        args.add_all(ctx.attr.strip_options)
        args.add("-o", out)
        args.add(ko)
        ctx.actions.run(
            inputs = [ko],
            outputs = [out],
            executable = _elfhash(ctx),
            arguments = [args],
            mnemonic = "ElfhashStrip",
            progress_message = "Stripping %s" % ko.short_path,
        )
        outs.append(out)
    return [DefaultInfo(files = depset(outs), runfiles = ctx.runfiles(files = outs))]

elfhash_strip_modules = rule(
    toolchains = [TOOLCHAIN_TYPE],
    implementation = _strip_impl,
    doc = "elfhash strip of every module to <name>/<stem>.ko (one action per module).",
    attrs = dict(_COMMON_ATTRS, **{
        "strip_options": attr.string_list(default = ["--strip-debug"], doc = "strip options (INSTALL_MOD_STRIP=1 is --strip-debug)."),
    }),
)

def _hashes_impl(ctx):
    out = ctx.actions.declare_file(ctx.label.name + ".bin")
    proofs = ctx.actions.declare_directory(ctx.label.name + "_proofs")
    args, inputs = _objtree_args(ctx)
    args.add_all(["tree", "--suffix", ".ko", "--objtree", "@OBJTREE@", "--endian", ctx.attr.endian])
    args.add_all(["--hashes-out", out.path, "--proofs-out", proofs.path])
    _run(ctx, args, inputs, [out, proofs], "ElfhashModuleHashes", "Hashing modules")
    return [DefaultInfo(files = depset([out, proofs]), runfiles = ctx.runfiles(files = [out, proofs]))]

elfhash_module_hashes = rule(
    toolchains = [TOOLCHAIN_TYPE],
    implementation = _hashes_impl,
    doc = "The module Merkle tree: <name>.bin (36-byte .module_hashes contents) and <name>_proofs/<stem>.merkle.",
    attrs = dict(_COMMON_ATTRS, **{
        "endian": attr.string(default = "little", values = ["little", "big"], doc = "Byte order of `levels` (the target's)."),
    }),
)

def _binary_impl(ctx):
    elfhash = _elfhash(ctx).executable
    out = ctx.actions.declare_file(ctx.label.name)
    ctx.actions.symlink(output = out, target_file = elfhash, is_executable = True)
    return [DefaultInfo(files = depset([out]), executable = out, runfiles = ctx.runfiles(files = [elfhash]))]

elfhash_binary = rule(
    toolchains = [TOOLCHAIN_TYPE],
    implementation = _binary_impl,
    executable = True,
    doc = "The toolchain's elfhash as an executable target (a test's data, a genrule's tool): the very binary the rules run.",
)
