"""module_dir: the example objtree's modules as one directory (a tree artifact) in one of the shapes
a Kleaf build hands over, for the modules_dirs attribute of //tools/bazel:defs.bzl (docs/bazel.md).

  layout = "kbuild"     <stem>.ko, modules.order as kbuild writes it
  layout = "installed"  lib/modules/<release>/kernel/<stem>.ko and lib/modules/<release>/modules.order
                        in modules_install's form ("kernel/<stem>.ko"), as kernel_modules_install
  layout = "flat"       <basename>.ko only, like a directory of unstripped modules collected by name
"""

def _module_dir_impl(ctx):
    out = ctx.actions.declare_directory(ctx.label.name)
    root = ctx.attr.root or ctx.file.modules_order.short_path.rpartition("/")[0]
    lines = ["set -eu", "o=" + out.path]
    if ctx.attr.layout == "installed":
        lines.append("d=$o/lib/modules/%s" % ctx.attr.release)
        lines.append("mkdir -p \"$d\" && sed 's|^\\(.*\\)\\.o$|kernel/\\1.ko|' %s > \"$d/modules.order\"" % ctx.file.modules_order.path)
    elif ctx.attr.layout == "kbuild":
        lines.append("cp %s \"$o/modules.order\"" % ctx.file.modules_order.path)
    for ko in ctx.files.srcs:
        rel = ko.short_path[len(root) + 1:]
        if ctx.attr.layout == "flat":
            dst = "$o/" + ko.basename
        elif ctx.attr.layout == "installed":
            dst = "$d/kernel/" + rel
        else:
            dst = "$o/" + rel
        lines.append("mkdir -p \"$(dirname %s)\" && cp %s %s" % (dst, ko.path, dst))
    ctx.actions.run_shell(
        inputs = ctx.files.srcs + [ctx.file.modules_order],
        outputs = [out],
        command = "\n".join(lines),
        mnemonic = "ModuleDir",
    )
    return [DefaultInfo(files = depset([out]))]

module_dir = rule(
    implementation = _module_dir_impl,
    attrs = {
        "srcs": attr.label_list(allow_files = [".ko"]),
        "modules_order": attr.label(allow_single_file = True, mandatory = True),
        "layout": attr.string(values = ["kbuild", "installed", "flat"], mandatory = True),
        "release": attr.string(default = "6.1.0-bazel-example"),
        "root": attr.string(doc = "workspace path the modules' stems are relative to; default: modules_order's directory"),
    },
)
