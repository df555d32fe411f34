// Package archive writes reproducible gzip-compressed tarballs and extracts
// untrusted ones safely.
//
// Pack produces the layer of a gitless artifact: the same tree always gives the
// same bytes, whatever the files' mtimes, owners or the umask of the machine
// that packed them, so the same source gives the same digest.
//
// Extract and List read archives that came from a registry. Every entry is
// checked before anything is written: paths must stay inside the destination,
// links may not leave the tree, only regular files, directories and relative
// symlinks are accepted, and sizes and counts are capped (see Limits). Extract
// writes into a temporary directory beside the destination and renames it into
// place only when the whole archive was accepted, so a failure leaves nothing
// behind.
//
// Reference: https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html
package archive
