// Package static holds the files browsers load (our stylesheets, the designer's script under js/, and vendored
// libraries under vendor/), embedded in the binary and served with checksummed URLs so a changed file is
// fetched again.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"strings"
	"sync"
)

//go:embed css vendor js
var files embed.FS

// FS is every static file, by path ("css/app.css").
func FS() fs.FS { return files }

var sums sync.Map

// Stylesheets lists the URLs of every stylesheet in css/, in name order: app.css first, then each area's.
func Stylesheets() []string {
	entries, err := fs.ReadDir(files, "css")
	if err != nil {
		panic("static: " + err.Error())
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".css") {
			out = append(out, URL("css/"+e.Name()))
		}
	}
	return out
}

// URL is the address of a static file with its checksum, for example /static/css/app.css?v=1a2b3c4d.
func URL(path string) string {
	if v, ok := sums.Load(path); ok {
		return v.(string)
	}
	b, err := fs.ReadFile(files, path)
	if err != nil {
		panic("static: no file " + path) // a typo in our own templates; caught by the tests
	}
	sum := sha256.Sum256(b)
	url := "/static/" + path + "?v=" + hex.EncodeToString(sum[:4])
	sums.Store(path, url)
	return url
}
