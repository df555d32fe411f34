package cmd

import "os"

var stderr = os.Stderr
