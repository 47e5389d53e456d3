"""Bazel rules that run elfhash on kernel build outputs (docs/bazel.md).

All three take labels and write only declared outputs, with paths relative to the execution root, so
they run unchanged in the sandbox and on remote execution:

  elfhash_seal            objtree inputs -> final vmlinux + modules_install staging tree (elfhash seal)
  elfhash_strip_modules   .ko files -> stripped .ko files (elfhash strip, INSTALL_MOD_STRIP semantics)
  elfhash_module_hashes   modules.order + modules -> 36-byte .module_hashes contents + proofs tree

Module paths: a module's place in the objtree (the modules.order line, "<stem>.o") is its path below
`objtree_root`, which defaults to the directory that holds `modules_order`. Every .ko must lie below
it; a module listed in modules.order but not given is an error at execution time (elfhash's "module
listed on line N of modules.order is missing").
"""

def _q(s):
    """Single-quotes `s` for sh."""
    return "'" + s.replace("'", "'\\''") + "'"

def _root(ctx):
    if ctx.attr.objtree_root:
        return ctx.attr.objtree_root.rstrip("/")
    return ctx.file.modules_order.short_path.rpartition("/")[0]

def _stem(ko, root):
    path = ko.short_path
    prefix = root + "/" if root else ""
    if not path.startswith(prefix) or not path.endswith(".ko"):
        fail("%s is not a .ko file below objtree_root '%s'" % (path, root))
    return path[len(prefix):-len(".ko")]

def _objtree_script(ctx, root, extra = {}):
    """sh lines making a private symlink objtree in $obj: modules.order, every module at <stem>.ko,
    and `extra` (objtree-relative name -> File). The links point into the execution root ($PWD), so
    nothing outside the action's inputs is read."""
    lines = [
        "set -eu",
        "obj=$(mktemp -d \"${TMPDIR:-/tmp}/elfhash-objtree.XXXXXX\")",
        "trap 'rm -rf \"$obj\"' EXIT",
        "ln -s \"$PWD\"/%s \"$obj/modules.order\"" % _q(ctx.file.modules_order.path),
    ]
    for name, f in extra.items():
        lines.append("mkdir -p \"$obj\"/%s && ln -s \"$PWD\"/%s \"$obj\"/%s" % (
            _q(name.rpartition("/")[0] or "."),
            _q(f.path),
            _q(name),
        ))
    dirs = {}
    for ko in ctx.files.modules:
        d = _stem(ko, root).rpartition("/")[0]
        if d and d not in dirs:
            dirs[d] = True
            lines.append("mkdir -p \"$obj\"/%s" % _q(d))
    for ko in ctx.files.modules:
        lines.append("ln -s \"$PWD\"/%s \"$obj\"/%s" % (_q(ko.path), _q(_stem(ko, root) + ".ko")))
    return lines

_COMMON_ATTRS = {
    "modules": attr.label_list(allow_files = [".ko"], doc = "The modules (.ko) as built, below objtree_root."),
    "modules_order": attr.label(allow_single_file = True, mandatory = True, doc = "kbuild's modules.order (\"<stem>.o\" lines)."),
    "objtree_root": attr.string(doc = "Workspace-relative directory the modules.order lines are relative to; default: the directory of modules_order."),
    "_elfhash": attr.label(default = Label("//tools:elfhash"), executable = True, cfg = "exec"),
}

def _seal_impl(ctx):
    root = _root(ctx)
    staging = ctx.actions.declare_directory(ctx.label.name + "/staging")
    vmlinux = ctx.actions.declare_file(ctx.label.name + "/vmlinux")
    extra = {"vmlinux.unstripped": ctx.file.vmlinux_unstripped}
    inputs = [ctx.file.vmlinux_unstripped, ctx.file.modules_order] + ctx.files.modules
    if ctx.file.kernel_release_file:
        extra["include/config/kernel.release"] = ctx.file.kernel_release_file
        inputs.append(ctx.file.kernel_release_file)
    cmd = "%s seal --objtree \"$obj\" --out %s --vmlinux-out %s" % (
        _q(ctx.executable._elfhash.path),
        _q(staging.path),
        _q(vmlinux.path),
    )
    if ctx.attr.kernel_release:
        cmd += " --kernel-release " + _q(ctx.attr.kernel_release)
    if ctx.attr.install_mod_strip:
        cmd += " --install-mod-strip=" + _q(ctx.attr.install_mod_strip)
    if ctx.attr.compress:
        cmd += " --compress " + _q(ctx.attr.compress)
    lines = _objtree_script(ctx, root, extra) + [cmd + " >/dev/null"]
    ctx.actions.run_shell(
        inputs = inputs,
        tools = [ctx.executable._elfhash],
        outputs = [staging, vmlinux],
        command = "\n".join(lines),
        mnemonic = "ElfhashSeal",
        progress_message = "Sealing %d modules and vmlinux for %s" % (len(ctx.files.modules), ctx.label),
    )
    return [DefaultInfo(files = depset([vmlinux, staging]), runfiles = ctx.runfiles(files = [vmlinux, staging]))]

elfhash_seal = rule(
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
    root = _root(ctx)
    opts = ctx.attr.strip_options
    outs = []
    for ko in ctx.files.modules:
        out = ctx.actions.declare_file(ctx.label.name + "/" + _stem(ko, root) + ".ko")
        args = ctx.actions.args()
        args.add("strip")
        args.add_all(opts)
        args.add("-o", out)
        args.add(ko)
        ctx.actions.run(
            inputs = [ko],
            outputs = [out],
            executable = ctx.executable._elfhash,
            arguments = [args],
            mnemonic = "ElfhashStrip",
            progress_message = "Stripping %s" % ko.short_path,
        )
        outs.append(out)
    return [DefaultInfo(files = depset(outs), runfiles = ctx.runfiles(files = outs))]

elfhash_strip_modules = rule(
    implementation = _strip_impl,
    doc = "elfhash strip of every module to <name>/<stem>.ko (one action per module).",
    attrs = dict(_COMMON_ATTRS, **{
        "strip_options": attr.string_list(default = ["--strip-debug"], doc = "strip options (INSTALL_MOD_STRIP=1 is --strip-debug)."),
    }),
)

def _hashes_impl(ctx):
    root = _root(ctx)
    out = ctx.actions.declare_file(ctx.label.name + ".bin")
    proofs = ctx.actions.declare_directory(ctx.label.name + "_proofs")
    cmd = "%s tree --suffix .ko --objtree \"$obj\" --endian %s --hashes-out %s --proofs-out %s >/dev/null" % (
        _q(ctx.executable._elfhash.path),
        _q(ctx.attr.endian),
        _q(out.path),
        _q(proofs.path),
    )
    ctx.actions.run_shell(
        inputs = [ctx.file.modules_order] + ctx.files.modules,
        tools = [ctx.executable._elfhash],
        outputs = [out, proofs],
        command = "\n".join(_objtree_script(ctx, root) + [cmd]),
        mnemonic = "ElfhashModuleHashes",
        progress_message = "Hashing %d modules for %s" % (len(ctx.files.modules), ctx.label),
    )
    return [DefaultInfo(files = depset([out, proofs]), runfiles = ctx.runfiles(files = [out, proofs]))]

elfhash_module_hashes = rule(
    implementation = _hashes_impl,
    doc = "The module Merkle tree: <name>.bin (36-byte .module_hashes contents) and <name>_proofs/<stem>.merkle.",
    attrs = dict(_COMMON_ATTRS, **{
        "endian": attr.string(default = "little", values = ["little", "big"], doc = "Byte order of `levels` (the target's)."),
    }),
)
