package archive

import "errors"

// Sentinel errors. Errors returned by this package wrap one of these (when the
// failure is about the archive's content) and name the entry concerned, so
// callers can use errors.Is to tell a hostile or broken archive from an I/O
// failure.
var (
	// ErrUnsafePath reports an entry name that is absolute, contains "..",
	// resolves to the root, or would be written through a symlink.
	ErrUnsafePath = errors.New("unsafe path")

	// ErrUnsafeLink reports a symlink that is absolute, empty, or resolves
	// outside the tree (directly or through other symlinks), or a symlink
	// loop.
	ErrUnsafeLink = errors.New("unsafe symlink")

	// ErrUnsupportedEntry reports an entry type other than a regular file, a
	// directory or a symlink: hardlinks, devices, FIFOs, sparse files and
	// unknown type flags.
	ErrUnsupportedEntry = errors.New("unsupported entry type")

	// ErrDuplicateEntry reports two entries with the same name, or a file and a
	// directory with one name.
	ErrDuplicateEntry = errors.New("duplicate entry")

	// ErrLimitExceeded reports an archive that goes beyond one of the Limits.
	ErrLimitExceeded = errors.New("limit exceeded")

	// ErrInvalidArchive reports a stream that is not a readable (gzip-compressed
	// or plain) tar archive, including a truncated one and a header whose size
	// does not match the data that follows.
	ErrInvalidArchive = errors.New("invalid archive")

	// ErrDestinationExists reports an Extract destination that exists and is
	// not an empty directory.
	ErrDestinationExists = errors.New("destination exists and is not an empty directory")

	// ErrInvalidOption reports an option value that cannot be used, such as a
	// prefix that is absolute or contains "..".
	ErrInvalidOption = errors.New("invalid option")
)
