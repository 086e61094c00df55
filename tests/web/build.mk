# tests/web: the web service (metrics format, event stream, auth) and the page
# in headless Chromium.
$(eval $(call add_lib,webtest,tests/web/web_test_util.c tests/web/prom_check.c))
$(eval $(call add_test,test_web,tests/web/test_web.c,webtest web labtest bus))
$(eval $(call add_test,test_web_chromium,tests/web/test_web_chromium.c,webtest web labtest bus))
