"""VK Ads (ads.vk.com): an ad cabinet, not a channel — statistics in, remarketing lists out.

``client.py`` speaks API v2/v3 through ``kosmmos/lib/http.py``; each call names the page it
follows. It never touches the database: ``kosmmos/ads`` (statistics) and ``kosmmos/audiences``
(lists) decide what to do with its results.
"""
