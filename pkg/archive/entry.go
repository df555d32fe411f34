package archive

import "io/fs"

// Entry types reported in Entry.Type.
const (
	// TypeFile is a regular file.
	TypeFile = "file"
	// TypeDir is a directory.
	TypeDir = "dir"
	// TypeSymlink is a symbolic link; Entry.Linkname holds its target.
	TypeSymlink = "symlink"
)

// Entry describes one member of an archive.
type Entry struct {
	// Name is the slash-separated path inside the archive, without a leading
	// "./" or a trailing "/".
	Name string `json:"name"`
	// Size is the length of a file's content; zero for directories and links.
	Size int64 `json:"size"`
	// Mode holds the normalised permission bits: 0755 for directories, 0644 or
	// 0755 for files, 0777 for symlinks. It is the mode Pack writes and the
	// mode Extract applies, never the raw mode of the header.
	Mode fs.FileMode `json:"mode"`
	// Type is TypeFile, TypeDir or TypeSymlink.
	Type string `json:"type"`
	// Linkname is a symlink's target, empty for other types.
	Linkname string `json:"linkname,omitempty"`
}

const (
	dirMode  fs.FileMode = 0o755
	fileMode fs.FileMode = 0o644
	execMode fs.FileMode = 0o755
	linkMode fs.FileMode = 0o777
)

// normalMode maps any permission bits to the few modes this package writes:
// setuid, setgid, sticky and group/other write bits never survive, and a file
// is executable for everyone when any execute bit was set.
func normalMode(typ string, perm fs.FileMode) fs.FileMode {
	switch typ {
	case TypeDir:
		return dirMode
	case TypeSymlink:
		return linkMode
	}
	if perm&0o111 != 0 {
		return execMode
	}
	return fileMode
}
