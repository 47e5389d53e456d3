# Every symbol binding and visibility the objcopy binding options (-L, -G, -W, --weaken,
# --globalize-symbol, --localize-hidden, --redefine-sym) distinguish, in one GNU as object
# (testdata/README.md): locals, globals and weaks at each visibility, a GNU_UNIQUE object, a common,
# undefined and weak undefined symbols, and relocations that name some of them.
	.text
	.globl	g_default, g_hidden, g_internal, g_protected
	.weak	w_default, w_hidden
	.hidden	g_hidden, w_hidden, l_hidden
	.internal g_internal
	.protected g_protected
	.type	g_default, @function
	.type	l_func, @function
l_func:	ret
g_default:
	call	undef_func
	call	weak_undef
	call	l_func
	ret
g_hidden:	ret
g_internal:	ret
g_protected:	ret
w_default:	ret
w_hidden:	ret
l_hidden:	ret
	.weak	weak_undef

	.data
	.type	unique_obj, @gnu_unique_object
	.globl	unique_obj
unique_obj:	.long	g_hidden
l_data:	.long	w_default
	.comm	common_obj, 16, 8
	.local	l_bss
	.comm	l_bss, 8, 8
