# A COMDAT group of two data sections, the first with a relocation section (.rela.data.g1, itself a
# group member in the ELF file but attached to .data.g1 in BFD's model): the input of objcopy -R on
# the group's members (testdata/README.md).
	.section .data.g1,"awG",%progbits,g1_sig,comdat
	.globl	g1_sig
g1_sig:	.long	ext_sym
	.section .data2.g1,"awG",%progbits,g1_sig,comdat
	.long	1
	.text
	.globl	entry
entry:	ret
