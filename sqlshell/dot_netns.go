package sqlshell

import (
	"context"
	"fmt"

	"netsql/tables/kernel"
)

// dotNetns shows or sets the network namespaces the next statements read
// (--netns at the prompt): all, self, names, pids or paths. A kept
// snapshot is dropped, since it was read in the old ones.
func (ss *session) dotNetns(_ context.Context, _ origin, args []string) error {
	src := ss.sh.eng.Source()
	if len(args) == 0 {
		return ss.printText(src.Netns.String() + "\n")
	}
	scope, err := kernel.ParseNetnsScope(args)
	if err != nil {
		return fmt.Errorf(".netns: %w", err)
	}
	old := src.Netns
	src.Netns = scope
	if err := kernel.CheckNetnsScope(src); err != nil {
		src.Netns = old
		return fmt.Errorf(".netns: %w", err)
	}
	ss.sh.eng.Refresh()
	return nil
}
