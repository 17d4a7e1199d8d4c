import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'coursekit:plugin',
  description: 'coursekit: module workspaces for teaching hubs.',
  autoStart: true,
  activate: (app: JupyterFrontEnd) => {
    console.log('coursekit is activated');
  }
};

export default plugin;
