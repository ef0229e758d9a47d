"""Find a named section in an ELF file and where it lands once the file is mapped.

Only the headers are read (ELF header, program headers, section headers, section-name table), never
the whole file, so probing every `python`-looking mapping of a process stays cheap.
"""

import struct
from dataclasses import dataclass

_ELF_MAGIC = b"\x7fELF"
_PT_LOAD = 1


class NotElfError(ValueError):
    """The file is not an ELF object this module can read."""


@dataclass(frozen=True, slots=True)
class Section:
    """A section's link-time address, plus what is needed to relocate it."""

    name: str
    address: int
    file_offset: int
    size: int
    pointer_size: int
    first_load_vaddr: int
    """Page-aligned `p_vaddr` of the first PT_LOAD segment: the file's mapping base at link time."""

    def runtime_address(self, mapping_base: int) -> int:
        """Where the section is in a process that mapped the file's first segment at `mapping_base`.

        For a non-PIE executable both bases are equal and the link-time address is the address; for a
        PIE executable or a shared library the difference is the load bias.
        """
        return mapping_base - self.first_load_vaddr + self.address


def find_section(path: str, name: str) -> Section | None:
    """Return section `name` of the ELF file at `path`, or None when the file has no such section."""
    with open(path, "rb") as f:
        ident = f.read(64)
        if len(ident) < 52 or ident[:4] != _ELF_MAGIC:
            raise NotElfError(f"{path} is not an ELF file")
        is64 = ident[4] == 2
        order = "<" if ident[5] == 1 else ">"
        if is64:
            phoff, shoff = struct.unpack_from(order + "QQ", ident, 0x20)
            phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(order + "HHHHH", ident, 0x36)
        else:
            phoff, shoff = struct.unpack_from(order + "II", ident, 0x1C)
            phentsize, phnum, shentsize, shnum, shstrndx = struct.unpack_from(order + "HHHHH", ident, 0x2A)

        f.seek(phoff)
        program_headers = f.read(phentsize * phnum)
        first_load_vaddr = None
        for i in range(phnum):
            if is64:
                p_type, _, _, p_vaddr, _, _, _, p_align = struct.unpack_from(
                    order + "IIQQQQQQ", program_headers, i * phentsize
                )
            else:
                p_type, _, p_vaddr, _, _, _, _, p_align = struct.unpack_from(
                    order + "IIIIIIII", program_headers, i * phentsize
                )
            if p_type == _PT_LOAD:
                first_load_vaddr = p_vaddr - p_vaddr % p_align if p_align else p_vaddr
                break
        if first_load_vaddr is None or shoff == 0 or shstrndx >= shnum:
            return None

        f.seek(shoff)
        section_headers = f.read(shentsize * shnum)

        def header(i: int) -> tuple[int, int, int, int]:
            """(sh_name, sh_addr, sh_offset, sh_size) of section i."""
            if is64:
                sh_name, _, _, addr, offset, size = struct.unpack_from(
                    order + "IIQQQQ", section_headers, i * shentsize
                )
            else:
                sh_name, _, _, addr, offset, size = struct.unpack_from(
                    order + "IIIIII", section_headers, i * shentsize
                )
            return sh_name, addr, offset, size

        _, _, strtab_offset, strtab_size = header(shstrndx)
        f.seek(strtab_offset)
        names = f.read(strtab_size)
        wanted = name.encode()
        for i in range(shnum):
            sh_name, addr, offset, size = header(i)
            end = names.find(b"\0", sh_name)
            if names[sh_name:end] == wanted:
                return Section(
                    name=name,
                    address=addr,
                    file_offset=offset,
                    size=size,
                    pointer_size=8 if is64 else 4,
                    first_load_vaddr=first_load_vaddr,
                )
    return None
