package filesystem

import "os"

// defaultFileMode is the permission of entry files when Options.FileMode
// is zero.
const defaultFileMode os.FileMode = 0o600

// fileMode returns the permission of entry files.
func (o *Options) fileMode() os.FileMode {
	if m := o.FileMode.Perm(); m != 0 {
		return m
	}
	return defaultFileMode
}

// dirMode returns the permission of the directories: the owner's rwx, and
// for the group and others read and search where the file mode lets them
// read, write where it lets them write (a writer must create files).
func (o *Options) dirMode() os.FileMode {
	m := o.fileMode()
	return 0o700 | m&0o066 | (m&0o044)>>2 | (m&0o022)>>1
}

// chmod gives a new entry file its mode, unless it is the mode
// os.CreateTemp already gave it.
func (o *Options) chmod(f *os.File) error {
	if m := o.fileMode(); m != defaultFileMode {
		return f.Chmod(m)
	}
	return nil
}
