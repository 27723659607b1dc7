package moment

import (
	"encoding/json"
	"io"
)

// WriteDiffJSON prints a diff's changes as JSON: one array (-o json), or
// one object a line when lines is set (-o jsonl), each in the Change
// shape a log shipper can forward as it is.
func WriteDiffJSON(w io.Writer, res *DiffResult, lines bool) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if !lines {
		changes := res.Changes
		if changes == nil {
			changes = []Change{}
		}
		return enc.Encode(changes)
	}
	for _, c := range res.Changes {
		if err := enc.Encode(c); err != nil {
			return err
		}
	}
	return nil
}
