package options

import (
	"errors"
	"fmt"
)

// ErrUsage marks an error in how a command was called (a flag, an argument, their combination);
// kubectl gitless exits 1 for it, as kubectl does (diff: 2, since 1 means "changed" there).
var ErrUsage = errors.New("usage error")

type usageError struct{ error }

func (e usageError) Is(target error) bool { return target == ErrUsage }
func (e usageError) Unwrap() error        { return e.error }

// Usage marks err as a usage error, keeping its message; nil stays nil.
func Usage(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err}
}

// Usagef formats a usage error.
func Usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }
