"""The playground page: HTML, CSS and vanilla JS modules served as they are (no build step)."""
