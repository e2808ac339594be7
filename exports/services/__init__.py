"""Export services: requests, access rules and signed downloads (docs/conventions.md point 4)."""

from exports.services.access import may_download, may_export
from exports.services.downloads import (
    Download,
    DownloadLink,
    DownloadRefused,
    make_download_link,
    make_download_links,
    resolve_download,
)
from exports.services.requests import StudyNotVisible, request_export, resolve_waves

__all__ = [
    "Download",
    "DownloadLink",
    "DownloadRefused",
    "StudyNotVisible",
    "make_download_link",
    "make_download_links",
    "may_download",
    "may_export",
    "request_export",
    "resolve_download",
    "resolve_waves",
]
